// gateway-cert and proxy-setup with a Map-backed KV and a recording adapter.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/normalize.js";
import { ConfigError, TransientError } from "../../../src/errors.js";
import type { GatewayAdapter, GatewayMaterial } from "../../../src/gateway/adapter.js";
import { verifyJwt } from "../../../src/gateway/jwt.js";
import { putGatewayLeaf } from "../../../src/pki/gateway-handoff.js";
import type { GatewayKv } from "../../../src/gateway/gateway-kv.js";
import type { StageContext } from "../../../src/runner/stage.js";
import { gatewayCertStage } from "../../../src/stages/gateway-cert.js";
import { proxySetupStage } from "../../../src/stages/proxy-setup.js";
import { buildStage } from "../../../src/stages/registry.js";
import { tokenCommand } from "../../../src/cli/token.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { mint, type Minted } from "../../support/pki-fixtures.js";
import { vi } from "vitest";

class MapKv implements GatewayKv {
  readonly data = new Map<string, Record<string, unknown>>();
  writes = 0;
  failWrites = 0;
  async read(key: string) {
    return this.data.get(key);
  }
  async write(key: string, value: Record<string, unknown>) {
    if (this.failWrites > 0) {
      this.failWrites--;
      throw new TransientError("connection refused");
    }
    this.writes++;
    this.data.set(key, structuredClone(value));
  }
}

class RecordingAdapter implements GatewayAdapter {
  readonly kind = "nginx" as const;
  applied: GatewayMaterial[] = [];
  async apply(material: GatewayMaterial) {
    this.applied.push(material);
    return { summary: `applied ${material.routes.length} routes` };
  }
}

const ROUTES = `[[routes]]\nname = "core-data"\npath = "/api/core-data"\nupstream = "https://core-data:59880"\n`;

describe("the gateway stages", () => {
  let dir: string;
  let config: Config;
  let root: Minted;
  let leaf: Minted;
  let logs: string[];

  const ctx = (handoff = new Map<string, unknown>(), c = config): StageContext => ({
    config: c,
    bootId: "boot-1",
    log: { info: (m) => logs.push(m) },
    signal: new AbortController().signal,
    handoff,
  });
  const handoffWithLeaf = () => {
    const handoff = new Map<string, unknown>();
    putGatewayLeaf(handoff, {
      service: "gateway",
      certPem: leaf.pem,
      keyPem: leaf.keyPem,
      chainPem: "",
      caPem: root.pem,
      source: "issued",
      serial: "01",
      notAfter: new Date(Date.now() + 86_400_000),
    });
    return handoff;
  };
  // Built as `bootgate run` builds it (preflight first), with a Map for Vault.
  const certStage = (c: Config, kv: GatewayKv) => buildStage(gatewayCertStage({ openKv: async () => kv }), c);
  const runCert = async (c: Config, kv: GatewayKv, handoff?: Map<string, unknown>) => (await certStage(c, kv)).run(ctx(handoff, c));
  const configWith = (gateway: string) =>
    parseConfigText(`secretsDir: ${dir}/secrets\nservices:\n  - name: gateway\n  - name: core-data\ngateway:\n${gateway}`, {
      source: join(dir, "bootgate.yaml"),
      baseDir: dir,
      env: {},
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bootgate-gw-unit-"));
    root = await mint({ name: "Stack Root", ca: true });
    leaf = await mint({ name: "gateway", issuer: root });
    await mkdir(join(dir, "secrets", "ca"), { recursive: true });
    await writeFile(caBundlePath(join(dir, "secrets")), root.pem);
    await writeFile(join(dir, "routes.toml"), ROUTES);
    config = configWith(`  routes: ./routes.toml\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("should store the leaf pki-init handed over in Vault, take it out of the handoff, and log no secret", async () => {
    logs = [];
    const kv = new MapKv();
    const handoff = handoffWithLeaf();
    await runCert(config, kv, handoff);
    const record = kv.data.get("gateway/tls");
    expect(record).toMatchObject({ certificate: leaf.pem.trim() + "\n", source: "pki-init" });
    expect(record?.private_key).toMatch(/BEGIN PRIVATE KEY/);
    expect(record?.fingerprint_sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(handoff.size).toBe(0);
    expect(logs.join("\n")).not.toContain("PRIVATE KEY");
  });

  it("should keep, without rewriting, what Vault holds when run alone and it still chains to this boot's CA", async () => {
    const kv = new MapKv();
    await runCert(config, kv, handoffWithLeaf());
    const writes = kv.writes;
    const outcome = await runCert(config, kv);
    expect(outcome).toMatchObject({ summary: expect.stringMatching(/^kept the certificate in Vault/) });
    expect(kv.writes).toBe(writes);
  });

  it("should keep the leaf across a transient Vault failure so the retry can store it", async () => {
    const kv = new MapKv();
    kv.failWrites = 1;
    const stage = await certStage(config, kv);
    const handoff = handoffWithLeaf();
    await expect(stage.run(ctx(handoff))).rejects.toBeInstanceOf(TransientError);
    await stage.run(ctx(handoff));
    expect(kv.data.get("gateway/tls")?.source).toBe("pki-init");
  });

  it("should fail clearly when run alone with no leaf in memory and nothing in Vault", async () => {
    const kv = new MapKv();
    await expect(runCert(config, kv)).rejects.toThrow(/same process as pki-init .*gateway\.importCert; Vault has none at gateway\/tls/);
    expect(kv.writes).toBe(0);
  });

  it("should serve an imported certificate from gateway.importCert and keep pki-init's leaf for mutual TLS with services", async () => {
    const publicCa = await mint({ name: "Public CA", ca: true });
    const imported = await mint({ name: "gateway", issuer: publicCa, dns: ["api.example.com"] });
    const importDir = join(dir, "import-ok");
    await mkdir(importDir, { recursive: true });
    await writeFile(join(importDir, "cert.pem"), imported.pem);
    await writeFile(join(importDir, "key.pem"), imported.keyPem);
    await writeFile(join(importDir, "chain.pem"), publicCa.pem);
    const kv = new MapKv();
    const importing = configWith(`  routes: ./routes.toml\n  importCert: ./import-ok\n`);
    await runCert(importing, kv, handoffWithLeaf());
    expect(kv.data.get("gateway/tls")).toMatchObject({ source: "import", chain: publicCa.pem.trim() + "\n" });
    expect(kv.data.get("gateway/client-tls")).toMatchObject({ source: "pki-init", certificate: leaf.pem.trim() + "\n" });
    // Alone (no leaf in memory), it keeps the stack's client certificate Vault holds.
    await runCert(importing, kv);
    expect(kv.data.get("gateway/client-tls")?.source).toBe("pki-init");
    // With nothing from the stack's CA anywhere, it says what is missing.
    await expect(runCert(importing, new MapKv())).rejects.toThrow(/no certificate from the stack's CA for the gateway's mutual TLS/);
  });

  it("should refuse an imported key that belongs to another certificate with a ConfigError naming key.pem", async () => {
    const other = await mint({ name: "other", issuer: root });
    const importDir = join(dir, "import-bad");
    await mkdir(importDir, { recursive: true });
    await writeFile(join(importDir, "cert.pem"), leaf.pem);
    await writeFile(join(importDir, "key.pem"), other.keyPem);
    const kv = new MapKv();
    const error = await gatewayCertStage({ openKv: async () => kv })
      .preflight(configWith(`  routes: ./routes.toml\n  importCert: ./import-bad\n`))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(join(importDir, "key.pem"));
    expect((error as ConfigError).issues[0]).toMatchObject({ path: "gateway.importCert" });
    expect(kv.writes).toBe(0);
  });

  it("should refuse an expired imported certificate", async () => {
    const old = await mint({ name: "gateway", issuer: root, notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
    const importDir = join(dir, "import-old");
    await mkdir(importDir, { recursive: true });
    await writeFile(join(importDir, "cert.pem"), old.pem);
    await writeFile(join(importDir, "key.pem"), old.keyPem);
    await expect(
      gatewayCertStage({ openKv: async () => new MapKv() }).preflight(configWith(`  routes: ./routes.toml\n  importCert: ./import-old\n`)),
    ).rejects.toThrow(/expected a certificate still valid/);
  });

  it("should apply the certificate from Vault, the routes and a JWT key it creates once", async () => {
    const kv = new MapKv();
    await runCert(config, kv, handoffWithLeaf());
    const adapter = new RecordingAdapter();
    const stage = await buildStage(proxySetupStage({ openKv: async () => kv, adapterFor: () => adapter }), config);
    await stage.run(ctx());
    await stage.run(ctx());
    expect(adapter.applied).toHaveLength(2);
    const [first, second] = adapter.applied as [GatewayMaterial, GatewayMaterial];
    expect(first.tls.fingerprint).toBe(kv.data.get("gateway/tls")?.fingerprint_sha256);
    expect(first.caPem).toBe(root.pem);
    expect(first.routes.map((r) => r.name)).toEqual(["core-data"]);
    expect(second.jwt.key).toEqual(first.jwt.key);
    expect(kv.data.get("gateway/jwt")).toMatchObject({ algorithm: "HS256", secret: first.jwt.key.secret });
  });

  it("should refuse a bad route map before touching Vault or the gateway", async () => {
    await writeFile(join(dir, "bad-routes.toml"), ROUTES.replace("https://", "http://"));
    const kv = new MapKv();
    const adapter = new RecordingAdapter();
    const opened = vi.fn(async () => kv);
    const stage = proxySetupStage({ openKv: opened, adapterFor: () => adapter });
    const error = await stage.preflight(configWith(`  routes: ./bad-routes.toml\n`)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe(join(dir, "bad-routes.toml"));
    expect(opened).not.toHaveBeenCalled();
    expect(adapter.applied).toHaveLength(0);
  });

  it("should say to run gateway-cert first when Vault holds no certificate", async () => {
    const stage = await buildStage(proxySetupStage({ openKv: async () => new MapKv(), adapterFor: () => new RecordingAdapter() }), config);
    await expect(stage.run(ctx())).rejects.toThrow(/no gateway certificate in Vault at gateway\/tls \(run gateway-cert first\)/);
  });

  it("should issue a token for a named user with the key from Vault", async () => {
    const kv = new MapKv();
    kv.data.set("gateway/jwt", { secret: Buffer.alloc(32, 1).toString("base64url"), algorithm: "HS256", key_id: "k" });
    await writeFile(
      join(dir, "bootgate.yaml"),
      `secretsDir: ${dir}/secrets\nservices: [{ name: gateway }]\ngateway:\n  routes: ./routes.toml\n  jwt: { issuer: acme }\n`,
    );
    let out = "";
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
    try {
      expect(await tokenCommand(["bob", "--ttl", "5m", "--config", join(dir, "bootgate.yaml")], { openKv: async () => kv })).toBe(0);
    } finally {
      spy.mockRestore();
    }
    const verdict = verifyJwt(out.trim(), { secret: Buffer.alloc(32, 1).toString("base64url"), algorithm: "HS256", keyId: "k" }, { issuer: "acme" });
    expect(verdict.ok && verdict.claims.sub).toBe("bob");
    expect(verdict.ok && verdict.claims.exp - verdict.claims.iat).toBe(300);
  });

  it("should refuse a token command without a key in Vault, or for a user name with spaces", async () => {
    const file = join(dir, "bootgate.yaml");
    await expect(tokenCommand(["bob", "--config", file], { openKv: async () => new MapKv() })).rejects.toThrow(/run proxy-setup first/);
    await expect(tokenCommand(["bob smith", "--config", file], { openKv: async () => new MapKv() })).rejects.toThrow(/Expected the user/);
  });
});
