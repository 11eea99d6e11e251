// pki.issuer: vault against the real OpenBao (.tools/bin/bao, `make bao`): pki-init issues only
// Vault's and PostgreSQL's leaves with this boot's intermediate, secretstore-setup imports that
// intermediate into Vault's PKI engine and issues every other leaf through it. Tests run in order.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/normalize.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { buildStage } from "../../../src/stages/registry.js";
import { pkiInitStage } from "../../../src/stages/pki-init.js";
import { secretstoreSetupStage } from "../../../src/stages/secretstore-setup.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { createVaultClient, type VaultClient } from "../../../src/vault/vault-client.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { caBundlePath, sealedIntermediatePath, servicePath } from "../../../src/volume/layout.js";
import { runInBoot } from "../../support/run-in-boot.js";
import { startVaultStack, type VaultStack } from "../../support/vault-stack.js";
import { stringify } from "yaml";
import { request } from "node:https";
import { runCli } from "../../support/cli.js";

const SERVICES = [{ name: "postgres" }, { name: "core-data", dns: ["core-data.internal"] }, { name: "core-metadata" }];
let stack: VaultStack;
let revokedSerial = "";

const read = (p: string) => readFile(p, "utf8");
const certOf = async (service: string) => new X509Certificate(await read(servicePath(stack.config.secretsDir, service, "cert")));

async function clientFor(token?: string): Promise<VaultClient> {
  return createVaultClient({ address: stack.config.vault.address, caPem: await read(caBundlePath(stack.config.secretsDir)), serverName: "vault", token });
}

/** openssl verify of a leaf (with the chain after it in cert.pem) against ca/ca.pem only. */
async function verifies(certPem: string): Promise<boolean> {
  const file = join(stack.dir, `verify-${Math.random().toString(16).slice(2)}.pem`);
  const [leaf, ...chain] = splitCertificates(certPem);
  await writeFile(file, leaf!);
  const chainFile = `${file}.chain`;
  await writeFile(chainFile, chain.join("") || leaf!);
  const r = await execa("openssl", ["verify", "-CAfile", caBundlePath(stack.config.secretsDir), "-untrusted", chainFile, file], { reject: false });
  return r.exitCode === 0;
}

async function issueAs(token: string, role: string, body: Record<string, unknown>): Promise<{ status: number; certificate?: string }> {
  const client = await clientFor(token);
  try {
    const r = (await client.api.write(`pki/issue/${role}`, body)) as { data: { certificate: string; issuing_ca: string } };
    return { status: 200, certificate: r.data.certificate + "\n" + r.data.issuing_ca + "\n" };
  } catch (error) {
    return { status: vaultStatusCode(error) ?? -1 };
  } finally {
    client.close();
  }
}

function withServices(config: Config, services: unknown[]): Config {
  const doc = { ...config, services } as Record<string, unknown>;
  return parseConfigText(
    stringify({
      secretsDir: config.secretsDir,
      stateDir: config.stateDir,
      services,
      vault: { address: config.vault.address, ikm: config.vault.ikm, waitTimeout: "20s" },
    }),
    { source: String(doc.source), baseDir: stack.dir, env: {} },
  );
}

/** A GET or POST to Vault's unauthenticated PKI endpoints (CRL, OCSP), over TLS verified against ca/ca.pem by the name `vault`. */
async function vaultHttp(path: string, body?: Buffer): Promise<Buffer> {
  const url = new URL(`/v1/${path}`, stack.config.vault.address);
  const ca = await read(caBundlePath(stack.config.secretsDir));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: body ? "POST" : "GET", ca, servername: "vault", headers: body ? { "content-type": "application/ocsp-request" } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${path}: HTTP ${res.statusCode}`))));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** What Vault's OCSP responder says of a leaf, as `openssl ocsp` reads the answer (checked against ca/ca.pem). */
async function ocspStatus(leafPem: string): Promise<string> {
  const base = join(stack.dir, `ocsp-${Math.random().toString(16).slice(2)}`);
  const [leaf, intermediate] = splitCertificates(leafPem);
  await writeFile(`${base}.leaf.pem`, leaf!);
  await writeFile(`${base}.issuer.pem`, intermediate!);
  const args = ["-issuer", `${base}.issuer.pem`, "-cert", `${base}.leaf.pem`, "-no_nonce"];
  await execa("openssl", ["ocsp", ...args, "-reqout", `${base}.req`]);
  await writeFile(`${base}.resp`, await vaultHttp("pki/ocsp", await readFile(`${base}.req`)));
  const r = await execa("openssl", ["ocsp", ...args, "-respin", `${base}.resp`, "-CAfile", caBundlePath(stack.config.secretsDir)], { reject: false });
  return `${r.stdout}\n${r.stderr}`;
}

beforeAll(async () => {
  stack = await startVaultStack({ setup: false, config: { services: SERVICES } });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

describe("Vault's PKI engine issues the stack's leaves (pki.issuer: vault)", () => {
  it("should default to the vault issuer when Vault is part of the stack", () => {
    expect(stack.config.pki.issuer).toBe("vault");
  });

  it("should leave only Vault's and PostgreSQL's leaves at pki-ready, and the intermediate sealed, never in clear", async () => {
    const dir = stack.config.secretsDir;
    await expect(stat(servicePath(dir, "vault", "cert"))).resolves.toBeDefined();
    await expect(stat(servicePath(dir, "postgres", "key"))).resolves.toBeDefined();
    await expect(stat(servicePath(dir, "core-data", "cert"))).rejects.toThrow(/ENOENT/);
    const sealed = await readFile(sealedIntermediatePath(dir));
    expect((await stat(sealedIntermediatePath(dir))).mode & 0o777).toBe(0o600);
    expect(sealed.toString()).not.toMatch(/PRIVATE KEY|BEGIN/);
  });

  it("should import the intermediate into Vault and issue every other leaf through it before vault-ready", async () => {
    const run = await stack.runSetup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.output).toMatch(/enabled pki\/, imported this boot's intermediate, 2 certificates issued by Vault, 0 kept/);
    await expect(stat(sealedIntermediatePath(stack.config.secretsDir))).rejects.toThrow(/ENOENT/);
    const bundle = splitCertificates(await read(caBundlePath(stack.config.secretsDir)));
    // pki/cert/ca is public: what Vault's default issuer is.
    const client = await clientFor();
    const held = ((await client.api.read("pki/cert/ca")) as { data: { certificate: string } }).data.certificate;
    client.close();
    const intermediate = new X509Certificate(bundle[1]!);
    expect(new X509Certificate(held).fingerprint256).toBe(intermediate.fingerprint256);
    for (const service of ["vault", "postgres", "core-data", "core-metadata"]) {
      const pem = await read(servicePath(stack.config.secretsDir, service, "cert"));
      expect(await verifies(pem), service).toBe(true);
      const leaf = new X509Certificate(pem);
      expect(leaf.checkIssued(intermediate), service).toBe(true);
      expect(leaf.verify(intermediate.publicKey), service).toBe(true);
    }
    const key = await stat(servicePath(stack.config.secretsDir, "core-data", "key"));
    expect(key.mode & 0o777).toBe(0o600);
    expect((await certOf("core-data")).subjectAltName).toBe("DNS:core-data, DNS:core-data.internal");
  });

  it("should let core-data's token issue its own certificate and nothing else", async () => {
    const token = (await readTokenFile(stack.config.secretsDir, "core-data"))!.token;
    const own = await issueAs(token, "core-data", { common_name: "core-data", alt_names: "core-data.internal" });
    expect(own.status).toBe(200);
    expect(await verifies(own.certificate!)).toBe(true);
    expect((await issueAs(token, "core-metadata", { common_name: "core-metadata" })).status).toBe(403);
    for (const name of ["core-metadata", "*.core-data", "localhost", "x.core-data"]) {
      expect((await issueAs(token, "core-data", { common_name: name })).status, name).toBe(400);
    }
    expect((await issueAs(token, "core-data", { common_name: "core-data", alt_names: "localhost" })).status).toBe(400);
  });

  it("should issue only a service added mid-boot, through Vault, leaving every other serial and the bundle as they were", async () => {
    const dir = stack.config.secretsDir;
    const names = ["vault", "postgres", "core-data", "core-metadata"];
    const before = await Promise.all(names.map((n) => read(servicePath(dir, n, "cert"))));
    const bundle = await read(caBundlePath(dir));
    const config = withServices(stack.config, [{ name: "vault" }, ...SERVICES, { name: "log-shipper" }]);
    const run = await runInBoot(config, [await buildStage(pkiInitStage(), config), await buildStage(secretstoreSetupStage(), config)]);
    expect(run.failures.map((f) => f.message)).toEqual([]);
    const output = run.events.map((e) => JSON.stringify(e)).join("\n");
    expect(output).toMatch(/issued 0, kept 2, 3 left to Vault; this boot's CA/);
    expect(output).toMatch(/1 certificates issued by Vault, 2 kept/);
    expect(output).not.toMatch(/signalled/);
    expect(await Promise.all(names.map((n) => read(servicePath(dir, n, "cert"))))).toEqual(before);
    expect(await read(caBundlePath(dir))).toBe(bundle);
    const added = await read(servicePath(dir, "log-shipper", "cert"));
    expect(await verifies(added)).toBe(true);
    // Vault stored it: its serial is one of the engine's.
    const serial = new X509Certificate(added).serialNumber.toLowerCase().replace(/(..)(?!$)/g, "$1:");
    const client = await clientFor();
    const stored = ((await client.api.read(`pki/cert/${serial}`)) as { data: { certificate: string } }).data.certificate;
    client.close();
    expect(new X509Certificate(stored).fingerprint256).toBe(new X509Certificate(added).fingerprint256);
  });

  it("should have Vault reissue PostgreSQL's own leaf when a rerun changes its names: same intermediate, no new CA, every other serial as it was", async () => {
    const dir = stack.config.secretsDir;
    const others = ["vault", "core-data", "core-metadata", "log-shipper"];
    const before = await Promise.all(others.map((n) => read(servicePath(dir, n, "cert"))));
    const oldPostgres = await certOf("postgres");
    const bundle = await read(caBundlePath(dir));
    const services = [{ name: "vault" }, { name: "postgres", dns: ["db.internal"] }, ...SERVICES.slice(1), { name: "log-shipper" }];
    const config = withServices(stack.config, services);
    const run = await runInBoot(config, [await buildStage(pkiInitStage(), config), await buildStage(secretstoreSetupStage(), config)]);
    expect(run.failures.map((f) => f.message)).toEqual([]);
    const output = run.events.map((e) => JSON.stringify(e)).join("\n");
    expect(output).not.toMatch(/renewing this boot's CA/);
    expect(output).toMatch(/issued 0, kept 1, 4 left to Vault; this boot's CA/);
    expect(output).toMatch(/1 certificates issued by Vault, 3 kept/);
    expect(await Promise.all(others.map((n) => read(servicePath(dir, n, "cert"))))).toEqual(before);
    expect(await read(caBundlePath(dir))).toBe(bundle);
    const pem = await read(servicePath(dir, "postgres", "cert"));
    const now = new X509Certificate(pem);
    expect(now.serialNumber).not.toBe(oldPostgres.serialNumber);
    expect(now.subjectAltName).toContain("DNS:db.internal");
    expect(await verifies(pem)).toBe(true);
    const key = createPrivateKey(await read(servicePath(dir, "postgres", "key")));
    expect(now.checkPrivateKey(key)).toBe(true);
    const client = await clientFor();
    const serial = now.serialNumber.toLowerCase().replace(/(..)(?!$)/g, "$1:");
    const stored = ((await client.api.read(`pki/cert/${serial}`)) as { data: { certificate: string } }).data.certificate;
    client.close();
    expect(new X509Certificate(stored).fingerprint256).toBe(now.fingerprint256);
  });

  it("should revoke core-data's leaf with `bootgate revoke`: the CRL and OCSP say revoked for the old serial, good for the new one it now holds", async () => {
    const dir = stack.config.secretsDir;
    const oldPem = await read(servicePath(dir, "core-data", "cert"));
    const oldSerial = new X509Certificate(oldPem).serialNumber.toUpperCase();
    expect(await ocspStatus(oldPem)).toMatch(/: good/);
    const run = await runCli(["revoke", "core-data", "--config", join(stack.dir, "bootgate.yaml"), "--json"]);
    expect(run.code, run.stderr).toBe(0);
    // core-data has no `reload` set: the command says so rather than signal nobody silently.
    expect(run.stderr).toMatch(/reissued the certificates of core-data; no `reload` set/);
    const result = JSON.parse(run.stdout) as { revokedSerial: string; serial: string };
    expect(result.revokedSerial.toUpperCase()).toBe(oldSerial);
    revokedSerial = result.revokedSerial;
    const newPem = await read(servicePath(dir, "core-data", "cert"));
    const fresh = new X509Certificate(newPem);
    expect(fresh.serialNumber.toLowerCase()).toBe(result.serial);
    expect(fresh.serialNumber).not.toBe(oldSerial);
    expect(await verifies(newPem)).toBe(true);
    expect(fresh.checkPrivateKey(createPrivateKey(await read(servicePath(dir, "core-data", "key"))))).toBe(true);
    await writeFile(join(stack.dir, "crl.pem"), await vaultHttp("pki/crl/pem"));
    const crl = await execa("openssl", ["crl", "-in", join(stack.dir, "crl.pem"), "-text", "-noout"]);
    expect(crl.stdout).toContain(`Serial Number: ${oldSerial}`);
    expect(crl.stdout).not.toContain(`Serial Number: ${fresh.serialNumber}`);
    expect(await ocspStatus(oldPem)).toMatch(/: revoked/);
    expect(await ocspStatus(newPem)).toMatch(/: good/);
  });

  it("should show in `bootgate status` the issuing CA Vault holds, the root's fingerprint, each leaf's issuer and the serial revoked this boot", async () => {
    const run = await runCli(["status", "--json", "--config", join(stack.dir, "bootgate.yaml")]);
    expect(run.code, run.stderr).toBe(0);
    const status = JSON.parse(run.stdout) as {
      certificates: { ca: { rootFingerprint: string; issuingCa: { subject: string; notAfter: string } }; services: { service: string; issuer?: string }[] };
      issuer: { state: string; issuer: { sha256: string; notAfter: string }; revoked: string[] };
    };
    const [root, intermediate] = splitCertificates(await read(caBundlePath(stack.config.secretsDir))).map((p) => new X509Certificate(p));
    expect(status.certificates.ca.rootFingerprint).toBe(root!.fingerprint256);
    expect(status.certificates.ca.issuingCa.notAfter).toBe(new Date(intermediate!.validTo).toISOString());
    const cn = intermediate!.subject
      .split("\n")
      .find((p) => p.startsWith("CN="))!
      .slice(3);
    for (const s of status.certificates.services) expect(s.issuer, s.service).toBe(cn);
    expect(status.issuer.state).toBe("this boot's intermediate");
    expect(status.issuer.issuer.sha256).toBe(intermediate!.fingerprint256);
    expect(status.issuer.revoked).toEqual([revokedSerial]);
  });

  it("should refuse to revoke a service the config does not have, with exit 2", async () => {
    const run = await runCli(["revoke", "no-such", "--config", join(stack.dir, "bootgate.yaml")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/services.*`no-such`/);
  });

  it("should make a new root and intermediate on a reboot (empty tmpfs), Vault's new default issuer, under which the old leaves no longer verify", async () => {
    const dir = stack.config.secretsDir;
    const oldPem = await read(servicePath(dir, "core-metadata", "cert"));
    const oldBundle = await read(caBundlePath(dir));
    await rm(dir, { recursive: true, force: true });
    expect((await stack.runPki()).ok).toBe(true);
    // A reboot: OpenBao starts again, on this boot's listener certificate.
    await stack.restartBao();
    const run = await stack.runSetup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.output).toMatch(/imported this boot's intermediate, 2 certificates issued by Vault, 0 kept/);
    const bundle = splitCertificates(await read(caBundlePath(dir)));
    expect(bundle.join("")).not.toBe(oldBundle);
    expect(splitCertificates(oldBundle)[0]).not.toBe(bundle[0]);
    const client = await clientFor();
    const held = ((await client.api.read("pki/cert/ca")) as { data: { certificate: string } }).data.certificate;
    client.close();
    expect(new X509Certificate(held).fingerprint256).toBe(new X509Certificate(bundle[1]!).fingerprint256);
    expect(await verifies(oldPem)).toBe(false);
    expect(await verifies(await read(servicePath(dir, "core-metadata", "cert")))).toBe(true);
  });
});
