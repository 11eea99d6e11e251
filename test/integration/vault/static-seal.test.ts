// The default stack (vault.seal: static) against the real OpenBao: the seal key derived from the
// IKM on the tmpfs, OpenBao's self-initialization making bootgate's identity, no root token and
// no generate-root at any boot, the audit log. One server for the whole story; tests run in order.
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLogPath } from "../../../src/servers/openbao-process.js";
import { deriveIdentityKey, deriveSealKey } from "../../../src/vault/derived-keys.js";
import { readIkmFile } from "../../../src/vault/ikm.js";
import { keyringPath } from "../../../src/volume/layout.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readSealStatus } from "../../../src/vault/seal-status.js";
import { sealKeyPath, vaultBootConfigPath, writeVaultBootFiles } from "../../../src/vault/server-boot-config.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { lookupSelf } from "../../../src/vault/tokens.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { pathExists } from "../../../src/util/path-exists.js";
import type { Config } from "../../../src/config/normalize.js";
import { runCli } from "../../support/cli.js";
import { restoreSnapshot, saveSnapshot, snapshotOperatorToken } from "../../support/raft-snapshot.js";
import { allFiles, inspectVault, whereFound } from "../../support/vault-inspect.js";
import { type StageRun, startVaultStack, type VaultStack } from "../../support/vault-stack.js";

// bootgate's login JWTs and the tokens they got, captured in-test to prove they are nowhere on disk.
const captured = vi.hoisted(() => ({ jwts: [] as string[], logins: [] as string[] }));
vi.mock("../../../src/vault/identity-jwt.js", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../src/vault/identity-jwt.js")>();
  return {
    ...mod,
    signIdentityJwt: (...args: Parameters<typeof mod.signIdentityJwt>) => (captured.jwts.push(mod.signIdentityJwt(...args)), captured.jwts.at(-1)!),
  };
});
vi.mock("../../../src/vault/identity.js", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../src/vault/identity.js")>();
  return {
    ...mod,
    loginAsBootgate: async (...args: Parameters<typeof mod.loginAsBootgate>) => {
      const login = await mod.loginAsBootgate(...args);
      if (login.ok) captured.logins.push(login.token);
      return login;
    },
  };
});

let stack: VaultStack;
const outputs: string[] = [];
const tokensSeen = new Set<string>();

async function setup(): Promise<StageRun> {
  const run = await stack.runSetup();
  outputs.push(run.output);
  for (const name of ["vault", "core-data", "core-metadata", "bootgate"]) {
    const file = await readTokenFile(stack.config.secretsDir, name);
    if (file) tokensSeen.add(file.token);
  }
  return run;
}
const summaryOf = (run: StageRun) => run.events.flatMap((e) => (e.type === "stage-done" ? [e.summary ?? ""] : [])).join("");

async function generateRootAttempt(): Promise<number | undefined> {
  const client = await vaultClientFor(stack.config);
  try {
    await client.api.read("sys/generate-root/attempt");
    return 200;
  } catch (error) {
    return vaultStatusCode(error);
  } finally {
    client.close();
  }
}

async function liveRootTokens(): Promise<number> {
  await using inspector = await inspectVault(stack.config, stack.ikmFile);
  return (await inspector.liveTokens()).filter((t) => t.policies.includes("root")).length;
}

beforeAll(async () => {
  stack = await startVaultStack({ setup: false, config: { vault: { tokenPeriod: "2h" } } });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

describe("the default stack: OpenBao's static seal and self-initialization", () => {
  it("should have the seal key and boot config on the tmpfs before Vault starts, 0600", async () => {
    const ikm = await readIkmFile(stack.ikmFile, "test");
    expect(await readFile(sealKeyPath(stack.config, 1))).toEqual(deriveSealKey(ikm, 1));
    const boot = JSON.parse(await readFile(vaultBootConfigPath(stack.config), "utf8")) as { seal: { static: Record<string, string> } };
    expect(boot.seal.static.current_key).toBe(`file://${sealKeyPath(stack.config, 1)}`);
    const text = await readFile(vaultBootConfigPath(stack.config), "utf8");
    expect(text).toContain(JSON.stringify(deriveIdentityKey(ikm).publicKeyPem).slice(1, 40));
    expect(text).not.toContain("PRIVATE");
  });

  it("should come up initialized and unsealed by itself, and let bootgate log in with its own identity", async () => {
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toMatch(
      /enabled secret\/; 4 tokens issued, 0 kept, 0 revoked; enabled pki\/, imported this boot's intermediate, 2 certificates issued by Vault, 0 kept$/,
    );
    const client = await vaultClientFor(stack.config);
    const status = await readSealStatus(client);
    client.close();
    expect([status.type, status.initialized, status.sealed]).toEqual(["static", true, false]);
    expect(await pathExists(keyringPath(stack.config.stateDir))).toBe(false);
  });

  it("should refuse sys/generate-root/attempt", async () => {
    expect(await generateRootAttempt()).toBe(405);
  });

  it("should leave no valid root token after the first boot", async () => {
    expect(await liveRootTokens()).toBe(0);
  });

  it("should show the audit device in `bootgate status --json`", async () => {
    const { code, stdout } = await runCli(["status", "--json", "--config", join(stack.dir, "bootgate.yaml")]);
    expect(code).toBe(0);
    const vault = (JSON.parse(stdout) as { vault: { state: string; audit?: { path: string; type: string; file?: string }[] } }).vault;
    expect(vault.state).toBe("unsealed");
    expect(vault.audit).toEqual([{ path: "bootgate/", type: "file", file: auditLogPath(join(stack.dir, "bao")) }]);
  });

  it("should record a service's read of its own secret in the audit log with its token's accessor hashed as OpenBao does", async () => {
    const kv = await openKvClient(stack.config, "core-data");
    await kv.write("core-data/probe", { value: "audited-secret-value-1" });
    expect(await kv.read("core-data/probe")).toEqual({ value: "audited-secret-value-1" });
    kv.close();
    const accessor = (await readTokenFile(stack.config.secretsDir, "core-data"))!.accessor;
    await using inspector = await inspectVault(stack.config, stack.ikmFile);
    const hashed = ((await inspector.root.api.write("sys/audit-hash/bootgate", { input: accessor })) as { data: { hash: string } }).data.hash;
    const lines = (await readFile(auditLogPath(join(stack.dir, "bao")), "utf8"))
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            auth?: { accessor?: string };
            request?: { path?: string; operation?: string };
          },
      );
    const reads = lines.filter((l) => l.type === "response" && l.request?.path === "secret/data/core-data/probe" && l.request.operation === "read");
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.every((l) => l.auth?.accessor === hashed)).toBe(true);
  });

  it("should unseal a restarted Vault by itself and keep this boot's tokens", async () => {
    await stack.restartBao();
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toBe("unsealed already; 0 tokens issued, 4 kept, 0 revoked; 0 certificates issued by Vault, 2 kept");
  });

  it("should give every service a new token after a reboot, with no root token and no generate-root", async () => {
    await rm(stack.config.secretsDir, { recursive: true, force: true });
    expect((await stack.runPki()).ok).toBe(true);
    await stack.restartBao();
    const run = await setup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(summaryOf(run)).toBe(
      "unsealed already; 4 tokens issued, 0 kept, 4 revoked; imported this boot's intermediate, 2 certificates issued by Vault, 0 kept",
    );
    expect(await generateRootAttempt()).toBe(405);
    expect(await liveRootTokens()).toBe(0);
    const kv = await openKvClient(stack.config, "core-data");
    expect(await kv.read("core-data/probe")).toEqual({ value: "audited-secret-value-1" });
    kv.close();
  });

  it("should keep no credential of bootgate's in any persistent file, its output or OpenBao's environment, and leave no login alive", async () => {
    const ikm = await readIkmFile(stack.ikmFile, "test");
    const seed = deriveIdentityKey(ikm).privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
    expect(captured.jwts.length).toBeGreaterThanOrEqual(3);
    expect(captured.logins.length).toBeGreaterThanOrEqual(3);
    // Each stage run's login (and the inspector's) is revoked once done with.
    for (const token of captured.logins) {
      const client = await vaultClientFor(stack.config, token);
      expect(await lookupSelf(client)).toBeUndefined();
      client.close();
    }
    const needles = [
      ...tokensSeen,
      ...captured.jwts,
      ...captured.logins,
      "audited-secret-value-1",
      deriveSealKey(ikm, 1).toString("hex"),
      deriveSealKey(ikm, 1).toString("base64"),
      seed.toString("hex"),
      seed.toString("base64"),
      ikm.toString("hex"),
    ];
    const rawKey = deriveSealKey(ikm, 1);
    const persistent = [stack.config.stateDir, join(stack.dir, "bao")];
    expect(await whereFound(persistent, { output: outputs.join("\n") }, needles)).toEqual([]);
    for (const f of (await Promise.all(persistent.map(allFiles))).flat()) {
      expect(f.bytes.includes(rawKey), f.path).toBe(false);
      expect(f.bytes.includes(seed), f.path).toBe(false);
    }
    const environ = await readFile(`/proc/${stack.bao!.pid}/environ`, "utf8");
    expect(
      environ
        .split("\0")
        .filter(Boolean)
        .map((kv) => kv.split("=")[0])
        .sort(),
    ).toEqual(["HOME", "PATH"]);
    expect(needles.some((n) => environ.includes(n))).toBe(false);
  });

  const withKeyId = (id: number): Config => ({ ...stack.config, vault: { ...stack.config.vault, sealKeyId: id } });
  const readProbe = async (config: Config, key: string) => {
    const kv = await openKvClient(config, "core-data");
    try {
      return await kv.read(key);
    } finally {
      kv.close();
    }
  };
  const writeProbe = async (key: string, value: string) => {
    const kv = await openKvClient(stack.config, "core-data");
    await kv.write(key, { value });
    kv.close();
  };
  // What a boot with vault.sealKeyId = id does: pki-init writes the keys, Vault restarts, setup.
  const bootWithKeyId = async (id: number) => {
    const config = withKeyId(id);
    await writeVaultBootFiles(config);
    await stack.restartBao();
    const run = await stack.runSetup(config);
    expect(
      run.failures.map((f) => f.message),
      `sealKeyId ${id}`,
    ).toEqual([]);
    return { config, run };
  };
  const expectUnsealed = async (config: Config) => {
    const client = await vaultClientFor(config);
    expect((await readSealStatus(client)).sealed).toBe(false);
    client.close();
  };
  let snapshotBeforeRotation: Buffer;

  it("should take a raft snapshot at seal generation 1, between a secret written before it and one written after", async () => {
    await writeProbe("core-data/before-snapshot", "written-before-the-snapshot");
    snapshotBeforeRotation = await saveSnapshot(stack.config, await snapshotOperatorToken(stack.config, stack.ikmFile));
    await writeProbe("core-data/after-snapshot", "written-after-the-snapshot");
    // A gzipped tar archive.
    expect(snapshotBeforeRotation.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });

  it("should rotate the seal key when vault.sealKeyId is bumped to 2: Vault restarts, unseals with the new key, and reads what it held", async () => {
    const { config, run } = await bootWithKeyId(2);
    // OpenBao skips the rewrap without recovery keys (openbao#3996): bootgate rotates the root key.
    expect(summaryOf(run)).toContain("root key rewrapped with seal key 2");
    await expectUnsealed(config);
    expect(await readProbe(config, "core-data/probe")).toEqual({ value: "audited-secret-value-1" });
  });

  it("should restore the snapshot from before the rotation while its seal key is the previous one, and rewrap it again at the next boot", async () => {
    const config = withKeyId(2);
    // Not forced: Vault opens the snapshot's hash file with seal key 1, its previous_key.
    const restored = await restoreSnapshot(config, await snapshotOperatorToken(config, stack.ikmFile), snapshotBeforeRotation);
    expect(restored.status, restored.errors).toBe(204);
    // The restored storage holds the root key wrapped by seal key 1 and no rewrap record: the
    // next boot (still generation 2) unseals with previous_key and rotates the root key again.
    const { run } = await bootWithKeyId(2);
    expect(summaryOf(run)).toContain("root key rewrapped with seal key 2");
    await expectUnsealed(config);
    expect(await readProbe(config, "core-data/before-snapshot")).toEqual({ value: "written-before-the-snapshot" });
    expect(await readProbe(config, "core-data/after-snapshot")).toBeUndefined();
    expect(await readProbe(config, "core-data/probe")).toEqual({ value: "audited-secret-value-1" });
  });

  it("should rotate on to seal generation 3 without key 1 and still read what the restored snapshot held", async () => {
    const { config, run } = await bootWithKeyId(3);
    expect(summaryOf(run)).toContain("root key rewrapped with seal key 3");
    await expectUnsealed(config);
    expect(await readProbe(config, "core-data/before-snapshot")).toEqual({ value: "written-before-the-snapshot" });
    // Generation 1 is no longer on the volume: the start with id 2 rewrapped Vault's keys with key 2.
    expect(await pathExists(sealKeyPath(stack.config, 1))).toBe(false);
  });

  it("should refuse a snapshot two seal generations old, stay sealed after a forced restore and a restart, and open again at the generation after the snapshot's", async () => {
    const current = withKeyId(3);
    const token = await snapshotOperatorToken(current, stack.ikmFile);
    const refused = await restoreSnapshot(current, token, snapshotBeforeRotation);
    expect(refused.status).toBe(400);
    expect(refused.errors).toContain("could not verify hash file, possibly the snapshot is using a different autoseal key");
    const forced = await restoreSnapshot(current, token, snapshotBeforeRotation, { force: true });
    expect(forced.status, forced.errors).toBe(204);
    // Its root key is wrapped by seal key 1, which generation 3 no longer hands to Vault.
    await stack.restartBao();
    const sealed = await vaultClientFor(current);
    expect((await readSealStatus(sealed)).sealed).toBe(true);
    sealed.close();
    expect(await readFile(join(stack.dir, "bao", "bao.log"), "utf8")).toContain("unknown key id for data: `bootgate-1`");
    // The keys are derived, never lost: a boot at generation 2 hands key 1 back as previous_key.
    const back = await bootWithKeyId(2);
    expect(summaryOf(back.run)).toContain("root key rewrapped with seal key 2");
    expect(await readProbe(back.config, "core-data/before-snapshot")).toEqual({ value: "written-before-the-snapshot" });
    const forward = await bootWithKeyId(3);
    expect(summaryOf(forward.run)).toContain("root key rewrapped with seal key 3");
    await expectUnsealed(forward.config);
    expect(await readProbe(forward.config, "core-data/before-snapshot")).toEqual({ value: "written-before-the-snapshot" });
  });
});
