// The agent's snapshot schedule against a real 3-node OpenBao cluster: every `every` (1 s here) an
// encrypted snapshot in vault.snapshots.dir, only the newest `keep` (2) left, the metrics naming the
// last one's time and size; the newest file, restored into a fresh cluster (every node replaced),
// brings back the secret written before.
import { randomBytes } from "node:crypto";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyedTimers, systemClock } from "../../../src/agent/keyed-timers.js";
import { snapshotSchedule } from "../../../src/agent/snapshot-schedule.js";
import { poll } from "../../../src/util/poll.js";
import { SNAPSHOT_FILE_PATTERN } from "../../../src/vault/cluster/snapshot.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { runCli } from "../../support/cli.js";
import { startVaultCluster } from "../../support/vault-cluster.js";

const PROBE = "secret/data/core-data/schedule-probe";

describe("the agent's snapshot schedule on a cluster", () => {
  it("should save every `every`, keep only `keep` files, report the last in its metrics, and its file restores", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, setup: true, config: { vault: { snapshots: { every: "1s", keep: 2 } } } });
    const { config } = cluster;
    const value = randomBytes(32).toString("base64");
    const readProbe = async () => {
      const client = await cluster.login();
      try {
        return ((await client.call("read", (c) => c.api.read(PROBE))) as { data: { data: { value: string } } }).data.data.value;
      } catch (error) {
        if (vaultStatusCode(error) === 404) return undefined;
        throw error;
      } finally {
        client.close();
      }
    };
    {
      const client = await cluster.login();
      try {
        await client.call("write", (c) => c.api.write(PROBE, { data: { value } }));
      } finally {
        client.close();
      }
    }

    const timers = new KeyedTimers(systemClock);
    const lines: string[] = [];
    const schedule = snapshotSchedule({ config, timers, clock: systemClock, log: (l) => lines.push(l) });
    const startedAt = Date.now();
    schedule.start();
    try {
      await poll(async () => (lines.filter((l) => l.startsWith("snapshot saved")).length >= 4 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 100,
        what: () => `4 scheduled snapshots (log: ${lines.join(" | ")})`,
      });
    } finally {
      timers.cancelAll();
      await schedule.idle();
      timers.cancelAll();
    }
    expect(schedule.failures, lines.join("\n")).toBe(0);
    const files = (await readdir(config.vault.snapshots.dir)).filter((n) => SNAPSHOT_FILE_PATTERN.test(n)).sort();
    expect(files).toHaveLength(2);
    const newest = join(config.vault.snapshots.dir, files.at(-1)!);
    expect(lines.filter((l) => l.startsWith("snapshot saved")).at(-1)).toContain(newest);
    const info = await stat(newest);
    expect(info.mode & 0o777).toBe(0o600);

    const metrics = await schedule.registry.getMetricsAsJSON();
    const valueOf = (name: string) => (metrics.find((m) => m.name === name)!.values as { value: number }[])[0]!.value;
    expect(valueOf("bootgate_snapshot_size_bytes")).toBe(info.size);
    const last = valueOf("bootgate_snapshot_last_success_timestamp_seconds") * 1000;
    expect(last).toBeGreaterThan(startedAt);
    expect(last).toBeLessThanOrEqual(Date.now());

    await cluster.replaceAll();
    expect(await readProbe()).toBeUndefined();
    const restored = await runCli(["snapshot", "restore", newest, "--config", join(cluster.dir, "bootgate.yaml")]);
    expect([restored.code, restored.stderr]).toEqual([0, ""]);
    expect(await poll(() => readProbe().catch(() => undefined), { timeoutMs: 30_000, intervalMs: 250, what: "the restored probe" })).toBe(value);
  });
});
