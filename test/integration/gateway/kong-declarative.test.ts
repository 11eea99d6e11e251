// Kong in DB-less mode with every part that runs here real: pki-init, OpenBao, secretstore-setup,
// gateway-cert and proxy-setup write kong.yml from what Vault holds. Kong itself cannot run on
// this machine: the file is loaded into the recorder of Kong's documented API instead, to check
// that a token from `bootgate token` passes and a forged one does not (401 in Kong).
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kongConfigDir } from "../../../src/gateway/gateway-paths.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { readJwtKey } from "../../../src/gateway/jwt-key.js";
import { KONG_DECLARATIVE_FILE } from "../../../src/gateway/kong-declarative-adapter.js";
import { proxySetupStage } from "../../../src/stages/proxy-setup.js";
import { buildStage } from "../../../src/stages/registry.js";
import { GATEWAY_READY } from "../../../src/gates/gate-names.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readAsBootgate } from "../../support/vault-inspect.js";
import { runCli } from "../../support/cli.js";
import { loadDeclarative } from "../../support/kong-declarative.js";
import { KongRecorder } from "../../support/kong-recorder.js";
import { KONG_TEST_ISSUER, startKongVaultStack, type KongVaultStack } from "../../support/kong-vault-stack.js";
import { caBundlePath } from "../../../src/volume/layout.js";

interface Doc {
  ca_certificates: { cert: string }[];
  certificates: { cert: string; key: string; snis?: { name: string }[] }[];
  services: { name: string; client_certificate: string }[];
  consumers: { jwt_secrets: { key: string; secret: string }[] }[];
}

describe("Kong DB-less: proxy-setup writes kong.yml from Vault, with real OpenBao", () => {
  let stack: KongVaultStack;
  let file: string;

  const vaultRecord = (key: string) => readAsBootgate(stack.config, key);

  beforeAll(async () => {
    stack = await startKongVaultStack();
    file = join(kongConfigDir(stack.config), KONG_DECLARATIVE_FILE);
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  it("should open gateway-ready after writing the file, saying Kong starts on it", () => {
    expect(stack.bootResult.ok, stack.bootResult.failures.map((f) => f.message).join("; ")).toBe(true);
    expect(stack.bootResult.opened).toContain(GATEWAY_READY);
    const done = stack.bootEvents.find((e) => e.type === "stage-done" && e.stage === "proxy-setup");
    expect(done).toMatchObject({ summary: expect.stringContaining(`it starts on ${file}`) as unknown });
    expect(file).toBe(join(stack.config.secretsDir, "gateway", "kong", "kong.yml"));
  });

  it("should keep the file 0600 in a 0700 folder on the secrets volume", async () => {
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(stack.config.secretsDir, "gateway", "kong"))).mode & 0o777).toBe(0o700);
  });

  it("should make Kong serve the certificate and key that are in Vault, present the client certificate from Vault, and trust ca.pem", async () => {
    const doc = parse(await readFile(file, "utf8")) as Doc;
    const tls = await vaultRecord("gateway/tls");
    const clientTls = (await vaultRecord("gateway/client-tls")) ?? tls;
    const served = doc.certificates.find((c) => c.snis)!;
    expect(served.key).toBe(tls?.private_key);
    expect(served.cert).toContain(String(tls?.certificate).trim());
    expect(served.snis!.map((s) => s.name)).toContain("gateway");
    const client = doc.certificates.find((c) => !c.snis)!;
    expect(client.key).toBe(clientTls?.private_key);
    const caPem = await readFile(caBundlePath(stack.config.secretsDir), "utf8");
    expect(doc.ca_certificates.map((c) => c.cert.trim()).join("\n")).toBe(caPem.trim());
    expect(doc.services.map((s) => s.name)).toEqual(["core-data", "core-metadata"]);
  });

  it("should let Kong accept a token from `bootgate token` and refuse a forged or expired one", async () => {
    const cli = await runCli(["token", "alice", "--ttl", "10m", "--config", stack.configFile]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    await using kong = await KongRecorder.start();
    await loadDeclarative(kong, await readFile(file, "utf8"));
    expect(kong.kongWouldAccept(cli.stdout.trim())).toBe(true);
    const kv = await openKvClient(stack.config, "bootgate");
    const key = (await readJwtKey(kv, "gateway"))!;
    kv.close();
    expect(
      kong.kongWouldAccept(signJwt({ ...key, secret: Buffer.alloc(32, 7).toString("base64url") }, { sub: "alice", iss: KONG_TEST_ISSUER, ttlMs: 60_000 })),
    ).toBe(false);
    expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: KONG_TEST_ISSUER, ttlMs: 1000, nowMs: Date.now() - 60_000 }))).toBe(false);
  });

  it("should put no key or JWT secret in what the run reports", async () => {
    const tls = await vaultRecord("gateway/tls");
    const jwt = await vaultRecord("gateway/jwt");
    const output = JSON.stringify(stack.bootEvents);
    const keyLine = String(tls?.private_key).split("\n")[1]!;
    expect(keyLine.length).toBeGreaterThan(20);
    expect(output).not.toContain(keyLine);
    expect(output).not.toContain(String(jwt?.secret));
    expect(output).not.toContain(Buffer.from(String(jwt?.secret), "base64url").toString("base64"));
  });

  it("should write a byte-identical file when proxy-setup runs again in the same boot", async () => {
    const before = await readFile(file);
    const run = await stack.runInBoot([await buildStage(proxySetupStage(), stack.config)]);
    expect(run.ok, run.failures.map((f) => f.message).join("; ")).toBe(true);
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it("should show in bootgate status the file and the certificate that is in Vault, without any key", async () => {
    const tls = await vaultRecord("gateway/tls");
    const cli = await runCli(["status", "--json", "--config", stack.configFile]);
    expect(cli.code).toBe(0);
    const status = JSON.parse(cli.stdout) as {
      gateway: { kong: { configFile: string; written: boolean; routes: string[] }; certificate: { fingerprint: string } };
    };
    expect(status.gateway.kong).toMatchObject({ configFile: file, written: true, routes: ["core-data", "core-metadata"] });
    expect(status.gateway.certificate.fingerprint).toBe(tls?.fingerprint_sha256);
    expect(cli.stdout).not.toContain("PRIVATE KEY");
  });
});
