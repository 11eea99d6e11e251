// The offline root (pki.ca.import with pki.issuer vault) against the real OpenBao and openssl: the
// test makes a root with openssl and keeps it (and its key) in a folder of its own, outside the
// stack; Vault generates the intermediate's key (`bootgate ca csr`), openssl signs the request,
// `bootgate ca install` refuses what is wrong and installs what is right. Tests run in order.
import { createPrivateKey, createPublicKey, X509Certificate, webcrypto } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitCertificates } from "../../../src/pki/pem.js";
import { type CryptoKey, x509 } from "../../../src/pki/x509.js";
import { createVaultClient } from "../../../src/vault/vault-client.js";
import { caBundlePath, installedIntermediatePath, pendingCsrPath, sealedBootstrapLeavesPath, servicePath } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { startVaultStack, type VaultStack } from "../../support/vault-stack.js";

let stack: VaultStack;
let offline: string;
let configFile: string;
const read = (p: string) => readFile(p, "utf8");
const rootPem = () => join(offline, "root.pem");
const rootKey = () => join(offline, "root-key.pem");
const CA_EXT = "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n";

async function openssl(args: string[]): Promise<void> {
  const r = await execa("openssl", args, { reject: false });
  if (r.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
}

/** A self-signed root made by openssl, in `dir`. */
async function makeRoot(dir: string, name: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
  await openssl(["req", "-x509", "-new", "-key", key, "-subj", `/CN=${name}`, "-days", "30", "-out", cert]);
  await openssl(["x509", "-in", cert, "-noout"]);
  return { cert, key };
}

/** openssl signs a request with a root, as the README shows; `ext` the extensions file's text. */
async function sign(csr: string, root: { cert: string; key: string }, ext: string, out: string): Promise<string> {
  const extFile = `${out}.ext`;
  await writeFile(extFile, ext);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    root.cert,
    "-CAkey",
    root.key,
    "-CAcreateserial",
    "-days",
    "10",
    "-sha256",
    "-extfile",
    extFile,
    "-out",
    out,
  ]);
  return out;
}

/** Vault's current default issuer as its unauthenticated `pki/cert/ca` says (empty when none). */
async function heldIssuer(caFile = caBundlePath(stack.config.secretsDir)): Promise<string> {
  const client = createVaultClient({ address: stack.config.vault.address, caPem: await read(caFile), serverName: "vault" });
  try {
    return ((await client.api.read("pki/cert/ca")) as { data: { certificate: string } }).data.certificate.trim();
  } catch {
    return "";
  } finally {
    client.close();
  }
}

/** Every file under `dir` with its bytes, for "nothing changed" checks. */
async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(path, (await readFile(path)).toString("base64"));
  }
  return out;
}

/** openssl verify of cert.pem's leaf against the offline root alone, the intermediate after the leaf as the only untrusted link. */
async function chainsToRoot(certPem: string): Promise<boolean> {
  const [leaf, ...chain] = splitCertificates(certPem);
  const base = join(offline, `verify-${Math.random().toString(16).slice(2)}`);
  await writeFile(`${base}.leaf`, leaf!);
  await writeFile(`${base}.chain`, chain.join(""));
  const r = await execa("openssl", ["verify", "-CAfile", rootPem(), "-untrusted", `${base}.chain`, `${base}.leaf`], { reject: false });
  return r.exitCode === 0;
}

beforeAll(async () => {
  offline = await mkdtemp(join(tmpdir(), "bootgate-offline-root-"));
  await makeRoot(offline, "root");
  stack = await startVaultStack({
    pki: false,
    start: false,
    setup: false,
    config: { services: [{ name: "core-data" }], pki: { ca: { import: "./import" }, issuer: "vault", validity: "5d" } },
  });
  configFile = join(stack.dir, "bootgate.yaml");
  // Only the root's certificate goes to the stack; its key stays in the offline folder.
  await mkdir(join(stack.dir, "import"));
  await copyFile(rootPem(), join(stack.dir, "import", "root.pem"));
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
  if (offline) await rm(offline, { recursive: true, force: true });
});

describe("the offline root: Vault's intermediate from a CSR the operator signs (pki.ca.import, pki.issuer: vault)", () => {
  it("should boot Vault on a bootstrap CA and stop before vault-ready, saying how to install an intermediate", async () => {
    const pki = await stack.runPki();
    expect(pki.failures.map((f) => f.message)).toEqual([]);
    expect(pki.output).toMatch(/bootstrap until Vault's intermediate takes over/);
    await stack.startBao();
    const run = await stack.runSetup();
    expect(run.ok).toBe(false);
    expect(run.failures.map((f) => f.message).join("\n")).toMatch(/holds no intermediate signed by the offline root .*bootgate ca csr --out FILE/);
  });

  it("should write Vault's CSR with `bootgate ca csr`: a request for a key Vault made, no key beside it", async () => {
    const out = join(stack.dir, "intermediate.csr");
    const run = await runCli(["ca", "csr", "--out", out, "--config", configFile]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const text = await read(out);
    expect(text).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(text).not.toMatch(/PRIVATE KEY/);
    expect(await read(pendingCsrPath(stack.config.stateDir))).toBe(text);
    await openssl(["req", "-in", out, "-noout", "-verify"]);
  });

  it("should refuse, with exit 2 naming the file and nothing changed in Vault or on the volume: another key, expired, not a CA, another root", async () => {
    const csr = join(stack.dir, "intermediate.csr");
    const root = { cert: rootPem(), key: rootKey() };
    // Another key: a request of the test's own, signed by the right root as a CA.
    const otherKey = join(offline, "other-key.pem");
    await openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", otherKey]);
    await openssl(["req", "-new", "-key", otherKey, "-subj", "/CN=other", "-out", join(offline, "other.csr")]);
    const wrongKey = await sign(join(offline, "other.csr"), root, CA_EXT, join(offline, "wrong-key.pem"));
    const notCa = await sign(csr, root, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n", join(offline, "not-ca.pem"));
    const otherRoot = await makeRoot(offline, "other-root");
    const foreign = await sign(csr, otherRoot, CA_EXT, join(offline, "foreign.pem"));
    // Expired: Vault's key, the right root, CA extensions, but dated in the past (openssl 3.0's x509 cannot backdate).
    const rootCert = new x509.X509Certificate(await read(rootPem()));
    const rootSigning = await webcrypto.subtle.importKey(
      "pkcs8",
      createPrivateKey(await read(rootKey())).export({ type: "pkcs8", format: "der" }),
      { name: "ECDSA", namedCurve: "P-256" },
      false,
      ["sign"],
    );
    const request = new x509.Pkcs10CertificateRequest(await read(csr));
    const expired = await x509.X509CertificateGenerator.create({
      serialNumber: "0badc0de",
      subject: "CN=bootgate intermediate CA",
      issuer: rootCert.subject,
      notBefore: new Date(Date.now() - 20 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      publicKey: await request.publicKey.export(),
      signingKey: rootSigning as unknown as CryptoKey,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      ],
    });
    const expiredFile = join(offline, "expired.pem");
    await writeFile(expiredFile, expired.toString("pem") + "\n");

    const volumeBefore = await snapshot(stack.config.secretsDir);
    const stateBefore = await snapshot(stack.config.stateDir);
    const held = await heldIssuer();
    const cases: [string, RegExp][] = [
      [wrongKey, /for another key/],
      [expiredFile, /expired on/],
      [notCa, /expected a CA certificate/],
      [foreign, /signed by the imported root/],
    ];
    for (const [file, reason] of cases) {
      const run = await runCli(["ca", "install", file, "--config", configFile]);
      expect(run.code, file).toBe(2);
      expect(run.stderr, file).toContain(file);
      expect(run.stderr, file).toMatch(reason);
    }
    expect(await heldIssuer()).toBe(held);
    expect(await snapshot(stack.config.secretsDir)).toEqual(volumeBefore);
    expect(await snapshot(stack.config.stateDir)).toEqual(stateBefore);
    await expect(stat(installedIntermediatePath(stack.config.stateDir))).rejects.toThrow(/ENOENT/);
  });

  it("should install the certificate the offline root signed as Vault's default issuer with `bootgate ca install`", async () => {
    const signed = await sign(join(stack.dir, "intermediate.csr"), { cert: rootPem(), key: rootKey() }, CA_EXT, join(offline, "intermediate.pem"));
    const run = await runCli(["ca", "install", signed, "--config", configFile]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const mine = new X509Certificate(await read(signed));
    expect(new X509Certificate(await heldIssuer()).fingerprint256).toBe(mine.fingerprint256);
    expect(new X509Certificate(await read(installedIntermediatePath(stack.config.stateDir))).fingerprint256).toBe(mine.fingerprint256);
  });

  it("should move Vault's listener and the bundle onto the offline root on the next run, and have Vault issue every other leaf", async () => {
    const run = await stack.runSetup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.output).toMatch(
      /moved vault onto the offline root's intermediate, 1 certificates issued by Vault, 0 kept, sealed the next boot's bootstrap leaves/,
    );
    const bundle = splitCertificates(await read(caBundlePath(stack.config.secretsDir)));
    expect(bundle[0]).toBe(splitCertificates(await read(rootPem()))[0]);
    expect(new X509Certificate(bundle[1]!).fingerprint256).toBe(new X509Certificate(await read(join(offline, "intermediate.pem"))).fingerprint256);
    for (const service of ["vault", "core-data"]) {
      expect(await chainsToRoot(await read(servicePath(stack.config.secretsDir, service, "cert"))), service).toBe(true);
    }
    // Vault's listener reloads its certificate on SIGHUP (compose: `reload: SIGHUP` on the vault service).
    process.kill(stack.bao!.pid, "SIGHUP");
    const served = await servedCertificate();
    expect(served.fingerprint256).toBe(new X509Certificate(await read(servicePath(stack.config.secretsDir, "vault", "cert"))).fingerprint256);
    const sealed = await read(sealedBootstrapLeavesPath(stack.config.stateDir));
    expect(sealed).not.toMatch(/BEGIN/);
    expect((await stat(sealedBootstrapLeavesPath(stack.config.stateDir))).mode & 0o777).toBe(0o600);
  });

  it("should leave no private key on any disk whose public key is the intermediate's (volume, state folder, test folders)", async () => {
    const intermediate = new X509Certificate(await read(join(offline, "intermediate.pem")));
    const target = intermediate.publicKey.export({ type: "spki", format: "der" }).toString("hex");
    let keys = 0;
    for (const dir of [stack.dir, offline]) {
      for (const [path, b64] of await snapshot(dir)) {
        const text = Buffer.from(b64, "base64").toString("latin1");
        for (const block of text.match(/-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]+-----END [A-Z ]*PRIVATE KEY-----/g) ?? []) {
          keys++;
          const spki = createPublicKey(createPrivateKey(block)).export({ type: "spki", format: "der" }).toString("hex");
          expect(spki, path).not.toBe(target);
        }
      }
    }
    // The leaves' keys on the volume and the offline roots' keys were all looked at.
    expect(keys).toBeGreaterThanOrEqual(5);
  });

  it("should boot again (empty tmpfs) on Vault-issued leaves the last boot sealed: no bootstrap CA, nothing moved", async () => {
    await stack.stopBao();
    await rm(stack.config.secretsDir, { recursive: true, force: true });
    const pki = await stack.runPki();
    expect(pki.failures.map((f) => f.message)).toEqual([]);
    expect(pki.output).toMatch(/1 from Vault's sealed bootstrap leaves, 1 left to Vault; offline root's intermediate/);
    expect(await chainsToRoot(await read(servicePath(stack.config.secretsDir, "vault", "cert")))).toBe(true);
    await stack.startBao();
    const run = await stack.runSetup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.output).not.toMatch(/moved/);
    expect(await chainsToRoot(await read(servicePath(stack.config.secretsDir, "core-data", "cert")))).toBe(true);
  });
});

/** The certificate Vault's listener serves now, once it is the one on the volume (a SIGHUP reload is asynchronous). */
async function servedCertificate(): Promise<X509Certificate> {
  const want = new X509Certificate(await read(servicePath(stack.config.secretsDir, "vault", "cert"))).fingerprint256;
  const ca = await read(caBundlePath(stack.config.secretsDir));
  const url = new URL(stack.config.vault.address);
  let last: X509Certificate | undefined;
  for (let i = 0; i < 50; i++) {
    last = await new Promise<X509Certificate | undefined>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca, servername: "vault" }, () => {
        const raw = socket.getPeerX509Certificate();
        socket.end();
        resolve(raw);
      });
      socket.on("error", () => resolve(undefined));
    });
    if (last?.fingerprint256 === want) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Vault still serves ${last?.fingerprint256 ?? "nothing verifiable"} after SIGHUP, expected ${want}`);
}
