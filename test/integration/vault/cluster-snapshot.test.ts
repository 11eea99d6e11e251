// `bootgate snapshot save` / `restore` against a real OpenBao on raft: secrets saved, the storage
// wiped, a fresh Vault self-initialized, the snapshot restored: every secret byte-identical. A file
// cut short, altered, of another stack or of a seal key this config cannot open is refused with
// exit 2 naming the file and the reason, and nothing is restored.
import { randomBytes } from "node:crypto";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { poll } from "../../../src/util/poll.js";
import { sealSnapshot } from "../../../src/vault/cluster/snapshot-envelope.js";
import { deriveSnapshotKey, deriveStackId } from "../../../src/vault/derived-keys.js";
import { readIkmFile } from "../../../src/vault/ikm.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { runCli } from "../../support/cli.js";
import { startVaultCluster } from "../../support/vault-cluster.js";
import { inspectVault } from "../../support/vault-inspect.js";
import { startVaultStack, type VaultStack } from "../../support/vault-stack.js";

const SERVICES = Array.from({ length: 20 }, (_, i) => `svc-${i}`);

async function readSecrets(stack: VaultStack): Promise<Record<string, unknown>> {
  await using inspector = await inspectVault(stack.config, stack.ikmFile);
  const out: Record<string, unknown> = {};
  for (const s of SERVICES) {
    try {
      out[s] = ((await inspector.root.api.read(`secret/data/${s}/backup-probe`)) as { data: { data: unknown } }).data.data;
    } catch (error) {
      if (vaultStatusCode(error) !== 404) throw error;
    }
  }
  return out;
}

/** The identity login works again (a fresh self-init, or a restored storage): Vault is ready. */
const untilLoggedIn = (stack: VaultStack) =>
  poll(
    () =>
      inspectVault(stack.config, stack.ikmFile).then(
        async (i) => {
          await i[Symbol.asyncDispose]();
          return true;
        },
        () => undefined,
      ),
    { timeoutMs: 30_000, intervalMs: 250, what: "bootgate's login on the Vault" },
  );

describe("bootgate snapshot", () => {
  it("should save an encrypted snapshot and restore it into a wiped, fresh Vault byte for byte; and refuse bad files restoring nothing", async () => {
    await using stack = await startVaultStack({ config: { services: SERVICES.map((name) => ({ name })) } });
    const configFile = join(stack.dir, "bootgate.yaml");
    {
      await using inspector = await inspectVault(stack.config, stack.ikmFile);
      for (const s of SERVICES) {
        await poll(
          () =>
            inspector.root.api.write(`secret/data/${s}/backup-probe`, { data: { value: randomBytes(48).toString("base64"), service: s } }).then(
              () => true,
              (e: Error) => (/upgrade from non-versioned/.test(e.message) ? undefined : Promise.reject(e)),
            ),
          { timeoutMs: 10_000, intervalMs: 200, what: "a kv write" },
        );
      }
    }
    const before = await readSecrets(stack);
    expect(Object.keys(before)).toHaveLength(20);

    const file = join(stack.dir, "backup", "vault.bgsnap");
    const saved = await runCli(["snapshot", "save", "--out", file, "--config", configFile, "--json"]);
    expect(saved.stderr).toBe("");
    expect(saved.code).toBe(0);
    const report = JSON.parse(saved.stdout) as { file: string; sealKeyId: number; size: number; bytes: number };
    expect(report).toMatchObject({ file, sealKeyId: 1 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const sealed = await readFile(file);
    // Encrypted at rest: the file is bootgate's envelope, with no secret value in it.
    expect(sealed.subarray(0, 8).toString()).toBe("BGSNAP1\n");
    for (const v of Object.values(before)) expect(sealed.includes(Buffer.from((v as { value: string }).value))).toBe(false);

    // A replaced Vault: storage gone, a fresh self-initialized one (same IKM) with none of the secrets.
    await stack.stopBao();
    await rm(join(stack.dir, "bao", "data"), { recursive: true, force: true });
    await stack.startBao();
    await untilLoggedIn(stack);
    expect(await readSecrets(stack)).toEqual({});

    const ikm = await readIkmFile(stack.ikmFile, "test");
    const other = randomBytes(32);
    const bad: [string, Buffer, RegExp][] = [
      ["truncated", sealed.subarray(0, sealed.length - 100), /cut short/],
      ["cut in its header", sealed.subarray(0, 20), /cut short inside its header/],
      [
        "altered",
        Buffer.concat([sealed.subarray(0, sealed.length - 1), Buffer.from([sealed[sealed.length - 1]! ^ 1])]),
        /does not \(damaged, or altered\)|decrypts/,
      ],
      [
        "of another stack",
        sealSnapshot(randomBytes(64), deriveSnapshotKey(other), { stackId: deriveStackId(other), sealKeyId: 1, createdAt: "x" }),
        /this one is of stack/,
      ],
      [
        "of a seal key generation 5",
        sealSnapshot(randomBytes(64), deriveSnapshotKey(ikm), { stackId: deriveStackId(ikm), sealKeyId: 5, createdAt: "x" }),
        /generation 5/,
      ],
      ["not a snapshot", Buffer.from("hello"), /starts with `BGSNAP1`/],
    ];
    for (const [what, bytes, reason] of bad) {
      const path = join(stack.dir, "backup", `bad-${what.replace(/\W+/g, "-")}.bgsnap`);
      await writeFile(path, bytes);
      const refused = await runCli(["snapshot", "restore", path, "--config", configFile]);
      expect(refused.code, what).toBe(2);
      expect(refused.stderr, what).toContain(path);
      expect(refused.stderr, what).toMatch(reason);
    }
    expect(await readSecrets(stack)).toEqual({});

    const restored = await runCli(["snapshot", "restore", file, "--config", configFile]);
    expect(restored.stderr).toBe("");
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain("snapshot restored");
    await untilLoggedIn(stack);
    expect(JSON.stringify(await readSecrets(stack))).toBe(JSON.stringify(before));
    // And after a restart: the restored storage unseals with the static seal.
    await stack.restartBao();
    await untilLoggedIn(stack);
    expect(JSON.stringify(await readSecrets(stack))).toBe(JSON.stringify(before));
  }, 180_000);
});

describe("bootgate snapshot on a 3-node cluster", () => {
  it("should restore a snapshot into a fresh cluster (every node replaced) with every secret byte-identical on every node", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, setup: true, config: { services: SERVICES.slice(0, 5).map((name) => ({ name })) } });
    const configFile = join(cluster.dir, "bootgate.yaml");
    const read = async () => {
      const client = await cluster.login();
      try {
        const out: Record<string, unknown> = {};
        for (const s of SERVICES.slice(0, 5)) {
          try {
            out[s] = ((await client.call("read", (c) => c.api.read(`secret/data/${s}/backup-probe`))) as { data: { data: unknown } }).data.data;
          } catch (error) {
            if (vaultStatusCode(error) !== 404) throw error;
          }
        }
        return out;
      } finally {
        client.close();
      }
    };
    {
      const client = await cluster.login();
      try {
        for (const s of SERVICES.slice(0, 5)) {
          await client.call("write", (c) => c.api.write(`secret/data/${s}/backup-probe`, { data: { value: randomBytes(48).toString("base64") } }));
        }
      } finally {
        client.close();
      }
    }
    const before = await read();
    expect(Object.keys(before)).toHaveLength(5);
    const file = join(cluster.dir, "backup.bgsnap");
    const saved = await runCli(["snapshot", "save", "--out", file, "--config", configFile]);
    expect([saved.code, saved.stderr]).toEqual([0, ""]);

    await cluster.replaceAll();
    expect(await read()).toEqual({});
    const restored = await runCli(["snapshot", "restore", file, "--config", configFile]);
    expect([restored.code, restored.stderr]).toEqual([0, ""]);
    const after = await poll(
      async () => {
        const got = await read().catch(() => undefined);
        return got && Object.keys(got).length === 5 ? got : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: "the restored secrets" },
    );
    expect(JSON.stringify(after)).toBe(JSON.stringify(before));
    // Every node serves them (a standby forwards to the active one, which holds the restored data).
    expect((await cluster.waitForVoters(3, 60_000, cluster.names)).filter((s) => s.leader)).toHaveLength(1);
    const client = await cluster.login();
    try {
      for (const node of client.follower.nodes) {
        const one = (await node.api.read(`secret/data/${SERVICES[0]}/backup-probe`)) as { data: { data: unknown } };
        expect(JSON.stringify(one.data.data), node.address).toBe(JSON.stringify(before[SERVICES[0]!]));
      }
    } finally {
      client.close();
    }
  }, 240_000);
});
