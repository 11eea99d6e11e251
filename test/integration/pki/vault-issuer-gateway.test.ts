// The gateway half of issue 19's mid-boot addition (pki.issuer: vault), with a real OpenBao and a
// real nginx: a service and a route to it are added to the config and `bootgate run` runs again
// within the boot. Vault's PKI engine issues that one leaf; every other serial, ca/ca.pem and the
// gateway's own certificate stay as they were, nobody is signalled, and the gateway, reloaded by
// proxy-setup, serves the new route over mutual TLS. (vault-issuer.test.ts shows the PKI half
// without a gateway.)
import { X509Certificate } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { nginxConfigDir } from "../../../src/gateway/gateway-paths.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { freePort } from "../../../src/servers/free-port.js";
import { vaultSerial } from "../../../src/vault/pki-engine.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { startTestUpstream, type TestUpstream, type UpstreamReply } from "../../support/gateway-upstream.js";
import { readAsBootgate } from "../../support/vault-inspect.js";
import { startVaultPkiGatewayStack, type VaultPkiGatewayStack } from "../../support/vault-pki-gateway-stack.js";

const ADDED = "core-command";
let stack: VaultPkiGatewayStack;
let added: TestUpstream | undefined;

const read = (p: string) => readFile(p, "utf8");

/** Every leaf on the volume, by folder: `<secretsDir>/<folder>/cert.pem`. */
async function leavesOnVolume(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const entry of await readdir(stack.config.secretsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const pem = await read(join(stack.config.secretsDir, entry.name, "cert.pem")).catch(() => undefined);
    if (pem !== undefined) out.set(entry.name, pem);
  }
  return out;
}

/** openssl verify of a leaf (its chain after it in cert.pem) against ca/ca.pem alone. */
async function verifies(certPem: string): Promise<boolean> {
  const [leaf, ...chain] = splitCertificates(certPem);
  const base = join(stack.vault.dir, `verify-${Math.random().toString(16).slice(2)}`);
  await writeFile(`${base}.leaf`, leaf!);
  await writeFile(`${base}.chain`, chain.join("") || leaf!);
  const r = await execa("openssl", ["verify", "-CAfile", caBundlePath(stack.config.secretsDir), "-untrusted", `${base}.chain`, `${base}.leaf`], {
    reject: false,
  });
  return r.exitCode === 0;
}

async function userToken(): Promise<string> {
  const cli = await runCli(["token", "alice", "--ttl", "10m", "--config", stack.configFile]);
  expect(cli.code, cli.stderr).toBe(0);
  return cli.stdout.trim();
}

const nginxMasterPid = async () => Number((await read(join(nginxConfigDir(stack.config), "nginx.pid"))).trim());

beforeAll(async () => {
  stack = await startVaultPkiGatewayStack();
});
afterAll(async () => {
  await added?.close();
  await stack?.[Symbol.asyncDispose]();
});

describe("a service and its route added mid-boot, with Vault's PKI engine as the issuer and a real nginx", () => {
  it("should issue only the added service's leaf through Vault, keep the gateway's certificate, signal nobody, and serve the new route", async () => {
    const dir = stack.config.secretsDir;
    const token = await userToken();
    const before = await leavesOnVolume();
    expect([...before.keys()].sort()).toEqual(expect.arrayContaining(["core-data", "vault"]));
    const bundle = await read(caBundlePath(dir));
    const gatewayTls = (await readAsBootgate(stack.config, "gateway/tls"))?.fingerprint_sha256;
    const servedBefore = await gatewayGet(stack.gatewayPort, "/api/core-data/x", { caPem: stack.caPem, token });
    expect(servedBefore.status, servedBefore.body).toBe(200);
    expect(servedBefore.fingerprint).toBe(gatewayTls);
    const master = await nginxMasterPid();

    // The config grows by one service, the route map by one route to it.
    const port = await freePort();
    const doc = parse(await read(stack.configFile)) as { services: Record<string, unknown>[]; gateway: { routes: string } };
    doc.services.push({ name: ADDED });
    await writeFile(stack.configFile, stringify(doc));
    const routes = await read(doc.gateway.routes);
    await writeFile(
      doc.gateway.routes,
      `${routes}\n[[routes]]\nname = "${ADDED}"\npath = "/api/${ADDED}"\nupstream = "https://127.0.0.1:${port}"\nservice = "${ADDED}"\n`,
    );

    const run = await runCli(["run", "--config", stack.configFile, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const output = run.stdout + run.stderr;
    expect(output).toMatch(/issued 0, kept 1, 3 left to Vault; this boot's CA/);
    expect(output).toMatch(/1 certificates issued by Vault, 1 kept/);
    expect(output).toMatch(/kept the certificate in Vault/);
    expect(output).not.toMatch(/signalled|reissued the certificates|renewing this boot's CA/);

    // Every leaf that was there is byte for byte what it was; the bundle too.
    const after = await leavesOnVolume();
    for (const [name, pem] of before) expect(after.get(name), name).toBe(pem);
    expect([...after.keys()].sort()).toEqual([...before.keys(), ADDED].sort());
    expect(await read(caBundlePath(dir))).toBe(bundle);
    expect((await readAsBootgate(stack.config, "gateway/tls"))?.fingerprint_sha256).toBe(gatewayTls);

    // The one new leaf is Vault's: it chains to ca/ca.pem through the default issuer, and the engine stored it.
    const pem = after.get(ADDED)!;
    expect(await verifies(pem)).toBe(true);
    const leaf = new X509Certificate(pem);
    expect(leaf.subjectAltName).toBe(`DNS:${ADDED}`);
    const client = await vaultClientFor(stack.config);
    try {
      const held = ((await client.api.read("pki/cert/ca")) as { data: { certificate: string } }).data.certificate;
      expect(leaf.checkIssued(new X509Certificate(held))).toBe(true);
      expect(new X509Certificate(held).fingerprint256).toBe(new X509Certificate(splitCertificates(bundle)[1]!).fingerprint256);
      const stored = ((await client.api.read(`pki/cert/${vaultSerial(leaf.serialNumber)}`)) as { data: { certificate: string } }).data.certificate;
      expect(new X509Certificate(stored).fingerprint256).toBe(leaf.fingerprint256);
    } finally {
      client.close();
    }

    // The added service starts on its leaf; the gateway, reloaded in place, reaches it over mutual TLS.
    added = await startTestUpstream(
      ADDED,
      { certPem: pem, keyPem: await read(servicePath(dir, ADDED, "key")), caPem: await read(servicePath(dir, ADDED, "ca")) },
      port,
    );
    const res = await gatewayGet(stack.gatewayPort, `/api/${ADDED}/status`, { caPem: stack.caPem, token });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ upstream: ADDED, path: "/status", user: "alice", clientCert: "gateway" } satisfies Partial<UpstreamReply>);
    expect(res.fingerprint).toBe(gatewayTls);
    expect(added.hits).toBe(1);
    const old = await gatewayGet(stack.gatewayPort, "/api/core-data/x", { caPem: stack.caPem, token });
    expect(old.status, old.body).toBe(200);
    expect(old.fingerprint).toBe(gatewayTls);
    expect(await nginxMasterPid()).toBe(master);
  });
});
