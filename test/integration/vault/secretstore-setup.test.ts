// secretstore-setup against the real OpenBao (.tools/bin/bao, `make bao`) with vault.seal: shamir,
// one server for the whole story: first boot, rerun, restart, wrong IKM, reboot. Tests run in
// order. The init root token makes bootgate's identity and is revoked; no boot after makes one.
import { randomBytes } from "node:crypto";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readGate } from "../../../src/gates/gate-file.js";
import type { TokenFile } from "../../../src/vault/layout.js";
import { NodeVaultKvClient } from "../../../src/vault/node-vault-kv-client.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readSealStatus, waitForVault } from "../../../src/vault/seal-status.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { lookupSelf } from "../../../src/vault/tokens.js";
import { createVaultClient, vaultClientFor } from "../../../src/vault/vault-client.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { readVaultStatus } from "../../../src/status/vault-status.js";
import { runCli } from "../../support/cli.js";
import { allFiles, clientWithToken, inspectVault, keyringSecrets, whereFound } from "../../support/vault-inspect.js";
import { type StageRun, startVaultStack, type VaultStack } from "../../support/vault-stack.js";
import { VAULT_READY } from "../../../src/gates/gate-names.js";
import { caBundlePath, keyringPath, servicePath } from "../../../src/volume/layout.js";

// The root token init handed the stage, captured in-test so we can prove it is gone and nowhere on disk.
const captured = vi.hoisted(() => ({ rootTokens: [] as string[] }));
vi.mock("../../../src/vault/initialize.js", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../src/vault/initialize.js")>();
  return {
    ...mod,
    initializeVault: async (...args: Parameters<typeof mod.initializeVault>) => {
      const result = await mod.initializeVault(...args);
      captured.rootTokens.push(result.rootToken);
      return result;
    },
  };
});

const SERVICES = [{ name: "core-data", uid: 1234, gid: 2345 }, { name: "core-metadata" }, { name: "gateway" }];
let stack: VaultStack;
const outputs: string[] = [];

async function setup(): Promise<StageRun> {
  const run = await stack.runSetup();
  outputs.push(run.output);
  return run;
}

const tokenOf = async (name: string) => (await readTokenFile(stack.config.secretsDir, name))!;
async function tokenWorks(token: string): Promise<boolean> {
  const client = await clientWithToken(stack.config, token);
  try {
    return (await lookupSelf(client)) !== undefined;
  } finally {
    client.close();
  }
}
async function sealed(): Promise<boolean> {
  const client = await vaultClientFor(stack.config);
  try {
    return (await readSealStatus(client)).sealed;
  } finally {
    client.close();
  }
}
const summaryOf = (run: StageRun) => run.events.flatMap((e) => (e.type === "stage-done" ? [e.summary ?? ""] : [])).join("");

beforeAll(async () => {
  stack = await startVaultStack({ setup: false, config: { services: SERVICES, vault: { seal: "shamir", tokenPeriod: "2h" } } });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

describe("secretstore-setup against a real OpenBao", () => {
  it("should initialize and unseal Vault on the first boot and open vault-ready", async () => {
    expect(await sealed()).toBe(true);
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toMatch(
      /^initialized, unsealed, enabled secret\/; 5 tokens issued, 0 kept, 0 revoked; enabled pki\/, imported this boot's intermediate, 3 certificates issued by Vault, 0 kept$/,
    );
    expect(await sealed()).toBe(false);
    expect((await readGate(stack.config.secretsDir, VAULT_READY))?.gate).toBe(VAULT_READY);
  });

  it("should write each service a 0600 token.json it owns, periodic and renewable with only its policies", async () => {
    for (const name of ["vault", "core-data", "core-metadata", "gateway", "bootgate"]) {
      const path = servicePath(stack.config.secretsDir, name, "token");
      const st = await stat(path);
      expect(st.mode & 0o777).toBe(0o600);
      const body = JSON.parse(await readFile(path, "utf8")) as TokenFile;
      expect(body.address).toBe(stack.config.vault.address);
      expect(body.serverName).toBe("vault");
      expect(body.kvMount).toBe("secret");
      const client = await clientWithToken(stack.config, body.token);
      const info = (await lookupSelf(client))!;
      client.close();
      expect(info.accessor).toBe(body.accessor);
      // Periodic through the token role: Vault renews it to the role's period, 2h here.
      expect((info as { role?: string }).role).toBe("bootgate-services");
      expect(info.renewable).toBe(true);
      expect(info.ttl).toBeGreaterThan(7000);
      expect(info.ttl).toBeLessThanOrEqual(7200);
      expect([...info.policies].sort()).toEqual([name === "bootgate" ? "bootgate-init" : `svc-${name}`, "bootgate-token-self"].sort());
    }
    const coreData = await stat(servicePath(stack.config.secretsDir, "core-data", "token"));
    expect([coreData.uid, coreData.gid]).toEqual([1234, 2345]);
    const bootgate = await stat(servicePath(stack.config.secretsDir, "bootgate", "token"));
    expect([bootgate.uid, bootgate.gid]).toEqual([0, 0]);
  });

  it("should let a service read and write its own path and refuse it another service's path (403)", async () => {
    const own = await openKvClient(stack.config, "core-data");
    try {
      await own.write("core-data/probe", { value: "mine" });
      expect(await own.read("core-data/probe")).toEqual({ value: "mine" });
      const denied = await own.read("core-metadata/probe").catch((e: unknown) => e);
      expect(vaultStatusCode((denied as Error).cause)).toBe(403);
      const deniedWrite = await own.write("gateway/tls", { x: 1 }).catch((e: unknown) => e);
      expect(vaultStatusCode((deniedWrite as Error).cause)).toBe(403);
    } finally {
      own.close();
    }
  });

  it("should give bootgate's token every service folder but not sys/ nor its own bookkeeping", async () => {
    const kv = await openKvClient(stack.config, "bootgate");
    const token = (await tokenOf("bootgate")).token;
    const client = await clientWithToken(stack.config, token);
    try {
      await kv.write("gateway/jwt", { key: "k" });
      await kv.write("core-metadata/database", { username: "u" });
      expect(await kv.read("gateway/jwt")).toEqual({ key: "k" });
      expect(await kv.read("core-data/never-written")).toBeUndefined();
      const sys = await client.api.read("sys/mounts").catch((e: unknown) => e);
      expect(vaultStatusCode(sys)).toBe(403);
      const registry = await new NodeVaultKvClient(client, "secret").read("_bootgate/tokens").catch((e: unknown) => e);
      expect(vaultStatusCode((registry as Error).cause)).toBe(403);
    } finally {
      kv.close();
      client.close();
    }
  });

  it("should show in `bootgate status --json` the address, the seal state and each token's validity and TTL", async () => {
    const { code, stdout } = await runCli(["status", "--json", "--config", join(stack.dir, "bootgate.yaml")]);
    expect(code).toBe(0);
    const vault = (JSON.parse(stdout) as { vault: { address: string; state: string; tokens: { service: string; state: string; ttlSeconds: number }[] } }).vault;
    expect(vault.address).toBe(stack.config.vault.address);
    expect(vault.state).toBe("unsealed");
    expect(vault.tokens.map((t) => [t.service, t.state])).toEqual(["vault", "core-data", "core-metadata", "gateway", "bootgate"].map((n) => [n, "valid"]));
    for (const t of vault.tokens) expect(t.ttlSeconds).toBeGreaterThan(7000);
    expect(stdout).not.toContain((await tokenOf("core-data")).token);
  });

  it("should verify Vault's certificate by the service name and the stack's CA, failing at once otherwise", async () => {
    const caPem = await readFile(caBundlePath(stack.config.secretsDir));
    const wrongName = createVaultClient({ address: stack.config.vault.address, caPem, serverName: "core-data" });
    await expect(waitForVault(wrongName, { timeoutMs: 5_000 })).rejects.toThrow(
      /Vault at https:\/\/127\.0\.0\.1:\d+: .*(altnames|ERR_TLS_CERT_ALTNAME_INVALID)/,
    );
    wrongName.close();
    // A CA that is not the stack's, made here: the handshake must fail against it.
    await execa("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      join(stack.dir, "foreign.key"),
      "-out",
      join(stack.dir, "foreign.pem"),
      "-days",
      "1",
      "-subj",
      "/CN=foreign CA",
    ]);
    const otherCa = createVaultClient({ address: stack.config.vault.address, caPem: await readFile(join(stack.dir, "foreign.pem")), serverName: "vault" });
    await expect(waitForVault(otherCa, { timeoutMs: 5_000 })).rejects.toThrow(/self[- ]signed|unable to (get|verify)|UNABLE_TO/i);
    otherCa.close();
  });

  it("should leave no root token valid: neither the one it used nor any other", async () => {
    expect(captured.rootTokens).toHaveLength(1);
    expect(await tokenWorks(captured.rootTokens[0]!)).toBe(false);
    await using inspector = await inspectVault(stack.config, stack.ikmFile);
    const live = await inspector.liveTokens();
    expect(live.filter((t) => t.policies.includes("root"))).toEqual([]);
    expect(live).toHaveLength(5);
  });

  it("should keep the unseal keys only encrypted in the keyring", async () => {
    const { keysB64 } = await keyringSecrets(stack.config, stack.ikmFile);
    expect(keysB64).toHaveLength(5);
    const text = await readFile(keyringPath(stack.config.stateDir), "utf8");
    expect(JSON.parse(text)).toMatchObject({ format: "bootgate-keyring", kdf: { name: "hkdf-sha256" }, cipher: { name: "aes-256-gcm" } });
    const needles = keysB64.flatMap((k) => [k, Buffer.from(k, "base64").toString("hex")]);
    expect(await whereFound([stack.config.secretsDir, stack.config.stateDir], { output: outputs.join("\n") }, needles)).toEqual([]);
  });

  it("should change nothing when rerun on an unsealed Vault", async () => {
    const before = await allFiles(stack.config.secretsDir);
    const keyring = await readFile(keyringPath(stack.config.stateDir));
    const run = await setup();
    expect(run.ok).toBe(true);
    expect(summaryOf(run)).toBe("unsealed already; 0 tokens issued, 5 kept, 0 revoked; 0 certificates issued by Vault, 3 kept");
    const tokenFiles = (files: { path: string; bytes: Buffer }[]) =>
      files.filter((f) => f.path.endsWith("token.json")).map((f) => [f.path, f.bytes.toString("hex")]);
    expect(tokenFiles(await allFiles(stack.config.secretsDir))).toEqual(tokenFiles(before));
    expect(await readFile(keyringPath(stack.config.stateDir))).toEqual(keyring);
  });

  it("should unseal a restarted (sealed) Vault and keep the tokens of this boot", async () => {
    const coreData = await tokenOf("core-data");
    await stack.restartBao();
    expect(await sealed()).toBe(true);
    const status = await readVaultStatus(stack.config);
    expect([status.state, status.tokens[0]?.state]).toEqual(["sealed", "unknown"]);
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toBe("unsealed; 0 tokens issued, 5 kept, 0 revoked; 0 certificates issued by Vault, 3 kept");
    expect(await sealed()).toBe(false);
    expect((await tokenOf("core-data")).token).toBe(coreData.token);
    expect(await tokenWorks(coreData.token)).toBe(true);
  });

  it("should fail clearly on a wrong IKM, open no gate and leave the keyring byte-identical", async () => {
    const keyring = await readFile(keyringPath(stack.config.stateDir));
    const goodIkm = await readFile(stack.ikmFile);
    await stack.restartBao();
    await stack.runPki(); // a new boot: no vault-ready gate until the stage succeeds
    await writeFile(stack.ikmFile, randomBytes(32).toString("hex"));
    try {
      const run = await setup();
      expect(run.ok).toBe(false);
      expect(run.failures[0]?.message).toMatch(/^stage secretstore-setup failed: cannot decrypt the keyring .*keyring\.json/);
      expect(await readGate(stack.config.secretsDir, VAULT_READY)).toBeUndefined();
      expect(await readFile(keyringPath(stack.config.stateDir))).toEqual(keyring);
      expect(await sealed()).toBe(true);
    } finally {
      await writeFile(stack.ikmFile, goodIkm);
    }
  });

  it("should give every service a new token after a reboot (empty tmpfs) and revoke the old ones", async () => {
    const old = await Promise.all(["core-data", "gateway", "bootgate"].map(tokenOf));
    await rm(stack.config.secretsDir, { recursive: true, force: true });
    expect((await stack.runPki()).ok).toBe(true);
    await stack.restartBao(); // the new vault certificate, and a sealed Vault, as after a real reboot
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toBe("unsealed; 5 tokens issued, 0 kept, 5 revoked; imported this boot's intermediate, 3 certificates issued by Vault, 0 kept");
    for (const previous of old) {
      const now = await tokenOf(previous.kvPrefix || "bootgate");
      expect(now.token).not.toBe(previous.token);
      expect(await tokenWorks(now.token)).toBe(true);
      expect(await tokenWorks(previous.token)).toBe(false);
    }
    // a token file put back from before the reboot shows as invalid
    await writeFile(servicePath(stack.config.secretsDir, "gateway", "token"), JSON.stringify(old[1]));
    expect((await readVaultStatus(stack.config)).tokens.find((t) => t.service === "gateway")?.state).toBe("invalid");
    await using inspector = await inspectVault(stack.config, stack.ikmFile);
    expect(await inspector.liveTokens()).toHaveLength(5);
  });

  it("should never write a root token it used to any file under secretsDir or stateDir, nor to its output", async () => {
    // the first boot's init token only: later boots log in as bootgate
    expect(captured.rootTokens).toHaveLength(1);
    for (const t of captured.rootTokens) expect(await tokenWorks(t)).toBe(false);
    expect(await whereFound([stack.config.secretsDir, stack.config.stateDir], { output: outputs.join("\n") }, captured.rootTokens)).toEqual([]);
  });
});
