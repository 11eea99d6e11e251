// The gateway with every part real: pki-init (imported CA), OpenBao, secretstore-setup,
// gateway-cert, proxy-setup, nginx with njs, and HTTPS micro services with their pki-init
// certificates. The gateway's key reaches nginx only through Vault.
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, StageError } from "../../../src/errors.js";
import { nginxConfigDir } from "../../../src/gateway/gateway-paths.js";
import { gatewayTlsFrom, toKvRecord } from "../../../src/gateway/gateway-tls.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { readJwtKey } from "../../../src/gateway/jwt-key.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readAsBootgate } from "../../support/vault-inspect.js";
import { gatewayCertStage } from "../../../src/stages/gateway-cert.js";
import { proxySetupStage } from "../../../src/stages/proxy-setup.js";
import { buildStage } from "../../../src/stages/registry.js";
import { GATEWAY_READY } from "../../../src/gates/gate-names.js";
import { runCli } from "../../support/cli.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { issueTestLeaf } from "../../support/gateway-pki.js";
import { startGatewayVaultStack, TEST_ISSUER, type GatewayVaultStack } from "../../support/gateway-vault-stack.js";
import type { UpstreamReply } from "../../support/gateway-upstream.js";
import { servicePath } from "../../../src/volume/layout.js";

describe("the gateway from Vault, with real OpenBao, nginx and HTTPS services", () => {
  let stack: GatewayVaultStack;
  let token: string;

  const get = (path: string, bearer?: string) =>
    gatewayGet(stack.gatewayPort, path, { caPem: stack.caPem, ...(bearer !== undefined ? { token: bearer } : {}) });
  const vaultRecord = (key: string) => readAsBootgate(stack.config, key);

  beforeAll(async () => {
    stack = await startGatewayVaultStack();
    const cli = await runCli(["token", "alice", "--ttl", "10m", "--config", stack.configFile]);
    expect(cli.stderr).toBe("");
    expect(cli.code).toBe(0);
    token = cli.stdout.trim();
  });

  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
  });

  it("should keep the gateway's key off the volume, except inside nginx's config folder", async () => {
    await expect(access(servicePath(stack.config.secretsDir, "gateway", "key"))).rejects.toThrow();
    const record = await vaultRecord("gateway/tls");
    expect(record?.private_key).toMatch(/BEGIN PRIVATE KEY/);
  });

  it("should put no key, JWT secret or token in what the run reports", async () => {
    const record = await vaultRecord("gateway/tls");
    const jwt = await vaultRecord("gateway/jwt");
    const output = JSON.stringify(stack.bootEvents);
    expect(output).toContain(GATEWAY_READY);
    const keyBody = String(record?.private_key).split("\n")[1]!;
    expect(keyBody.length).toBeGreaterThan(20);
    expect(output).not.toContain(keyBody);
    expect(output).not.toContain(String(jwt?.secret));
  });

  it("should show in bootgate status that nginx runs and serves the certificate that is in Vault", async () => {
    const record = await vaultRecord("gateway/tls");
    const cli = await runCli(["status", "--json", "--config", stack.configFile]);
    expect(cli.code).toBe(0);
    const status = JSON.parse(cli.stdout) as { gateway: { nginx: { running: boolean }; certificate: { fingerprint: string }; routes: unknown[] } };
    expect(status.gateway.nginx.running).toBe(true);
    expect(status.gateway.certificate.fingerprint).toBe(record?.fingerprint_sha256);
    expect(status.gateway.routes).toHaveLength(3);
  });

  it("should route each path to its service for a client that trusts only ca.pem, serving the certificate that is in Vault", async () => {
    const record = await vaultRecord("gateway/tls");
    for (const [path, upstream, seenPath] of [
      ["/api/core-data/readings", "core-data", "/readings"],
      ["/api/core-metadata/devices", "core-metadata", "/v2/devices"],
    ] as const) {
      const res = await get(path, token);
      expect(res.status, res.body).toBe(200);
      expect(res.fingerprint).toBe(record?.fingerprint_sha256);
      expect(JSON.parse(res.body)).toMatchObject({ upstream, path: seenPath, user: "alice", clientCert: "gateway" } satisfies Partial<UpstreamReply>);
    }
  });

  it("should answer 401 without a token, and with a forged or expired one, before any service sees the request", async () => {
    const hits = stack.upstreams.coreData.hits;
    const kv = await openKvClient(stack.config, "bootgate");
    const key = (await readJwtKey(kv, "gateway"))!;
    kv.close();
    const expired = signJwt(key, { sub: "alice", iss: TEST_ISSUER, ttlMs: 1000, nowMs: Date.now() - 60_000 });
    const forged = signJwt({ ...key, secret: Buffer.alloc(32, 7).toString("base64url") }, { sub: "alice", iss: TEST_ISSUER, ttlMs: 60_000 });
    expect((await get("/api/core-data/x")).status).toBe(401);
    expect((await get("/api/core-data/x", expired)).status).toBe(401);
    expect((await get("/api/core-data/x", forged)).status).toBe(401);
    expect((await get("/api/core-data/x", "garbage")).status).toBe(401);
    expect(stack.upstreams.coreData.hits).toBe(hits);
  });

  it("should refuse, with 502, a service whose certificate comes from another CA", async () => {
    const res = await get("/api/rogue/x", token);
    expect(res.status).toBe(502);
    expect(stack.upstreams.rogue.hits).toBe(0);
  });

  it("should keep the certificate in Vault when gateway-cert runs alone (no leaf in memory) and it still chains to this boot's CA", async () => {
    const before = await vaultRecord("gateway/tls");
    const run = await stack.runInBoot([await buildStage(gatewayCertStage(), stack.config)]);
    expect(run.ok, run.failures.map((f) => f.message).join()).toBe(true);
    expect((await vaultRecord("gateway/tls"))?.fingerprint_sha256).toBe(before?.fingerprint_sha256);
  });

  it("should fail `run --only gateway-cert` with a clear message when Vault's certificate is not from this boot's CA", async () => {
    const original = await vaultRecord("gateway/tls");
    const { makeTestCa } = await import("../../support/gateway-pki.js");
    const stranger = await makeTestCa(stack.vault.dir, "stranger");
    const strangerLeaf = await issueTestLeaf(stack.vault.dir, stranger, "gateway", "gateway-stranger");
    const kv = await openKvClient(stack.config, "bootgate");
    await kv.write("gateway/tls", toKvRecord(gatewayTlsFrom({ certPem: strangerLeaf.certPem, keyPem: strangerLeaf.keyPem, chainPem: "", source: "pki-init" })));
    try {
      const cli = await runCli(["run", "--only", "gateway-cert", "--config", stack.configFile]);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/gateway-cert/);
      expect(cli.stderr).toMatch(/same process as pki-init .*no longer chains to this boot's CA/);
      expect(cli.stderr).not.toContain("PRIVATE KEY");
    } finally {
      await kv.write("gateway/tls", original!);
      kv.close();
    }
  });

  it("should refuse each of 9 bad route maps with a ConfigError naming the file, and leave the running gateway untouched", async () => {
    const configFile = join(nginxConfigDir(stack.config), "nginx.conf");
    const running = await readFile(configFile, "utf8");
    const route = (name: string, path: string, upstream: string, extra = "") =>
      `[[routes]]\nname = "${name}"\npath = "${path}"\nupstream = "${upstream}"\n${extra}\n`;
    const bad: Array<[string, RegExp]> = [
      [route("a", "/a", "https://core-data:1", "retries = 3"), /unknown key `retries`/],
      [route("a", "/x", "https://core-data:1") + route("b", "/x", "https://core-metadata:1"), /unique path/],
      [route("a", "/a", "http://core-data:80"), /expected an https:\/\/ upstream/],
      [route("a", "/a", "https//core-data"), /expected an absolute URL/],
      [route("a", "/a", "https://core-data:1") + route("a", "/b", "https://core-metadata:1"), /unique name/],
      [route("a", "/a", "https://ghost:1"), /one of the configured services/],
      [route("a", "/a { return 200; }", "https://core-data:1"), /path prefix/],
      [route("a", "/a", "https://127.0.0.1:1"), /when the upstream host is an IP/],
      ["[[routes]\n", /expected valid TOML/],
    ];
    for (const [text, message] of bad) {
      await writeFile(stack.routesFile, text);
      // Refused in preflight: the stage never runs.
      const failure = (await buildStage(proxySetupStage(), stack.config).catch((e: unknown) => e)) as StageError;
      expect(failure).toBeInstanceOf(StageError);
      expect(failure.reason).toBeInstanceOf(ConfigError);
      expect((failure.reason as ConfigError).file).toBe(stack.routesFile);
      expect((failure.reason as ConfigError).message).toMatch(message);
      expect(await readFile(configFile, "utf8")).toBe(running);
    }
    // Through the command line: exit 2, and the message names the file.
    const cli = await runCli(["run", "--only", "proxy-setup", "--config", stack.configFile]);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(stack.routesFile);
    expect((await get("/api/core-data/still-up", token)).status).toBe(200);
    await writeFile(stack.routesFile, stack.goodRoutes);
  });

  it("should serve a certificate rotated in Vault after proxy-setup reruns, with no failed request in a concurrent loop", async () => {
    const leaf = await issueTestLeaf(stack.vault.dir, stack.intermediate, "gateway", "gateway-rotated");
    const rotated = gatewayTlsFrom({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem: stack.intermediate.certPem, source: "pki-init" });
    const kv = await openKvClient(stack.config, "bootgate");
    await kv.write("gateway/tls", toKvRecord(rotated));
    kv.close();
    const before = (await get("/api/core-data/before", token)).fingerprint;
    expect(before).not.toBe(rotated.fingerprint);

    let stop = false;
    const failures: string[] = [];
    const seen = new Set<string>();
    let count = 0;
    const loop = async () => {
      while (!stop) {
        try {
          const res = await get("/api/core-data/loop", token);
          count++;
          seen.add(res.fingerprint);
          if (res.status !== 200) failures.push(`status ${res.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 8 }, loop);
    await new Promise((r) => setTimeout(r, 200));
    const run = await stack.runInBoot([await buildStage(proxySetupStage(), stack.config)]);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    expect(run.ok, run.failures.map((f) => f.message).join()).toBe(true);
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(10);
    expect(seen).toEqual(new Set([before, rotated.fingerprint]));
    expect((await get("/api/core-data/after", token)).fingerprint).toBe(rotated.fingerprint);
  });
});
