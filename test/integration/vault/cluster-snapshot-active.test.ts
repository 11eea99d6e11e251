// Snapshots on a 3-node cluster whose leader is NOT the node vault.address names (a standby may
// forward a snapshot request or answer 307): `bootgate snapshot save` and the agent's schedule take
// it from the active node, and still do with vault.address's node killed; `snapshot restore` goes
// to the active node too, and brings back what was saved.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KeyedTimers, systemClock } from "../../../src/agent/keyed-timers.js";
import { snapshotSchedule } from "../../../src/agent/snapshot-schedule.js";
import { poll } from "../../../src/util/poll.js";
import { runCli } from "../../support/cli.js";
import { startVaultCluster, type VaultCluster } from "../../support/vault-cluster.js";

const PROBE = "secret/data/core-data/active-probe";

async function writeProbe(cluster: VaultCluster, value: string) {
  const client = await cluster.login();
  try {
    await client.call("write", (c) => c.api.write(PROBE, { data: { value } }));
  } finally {
    client.close();
  }
}

async function readProbe(cluster: VaultCluster): Promise<string> {
  const client = await cluster.login();
  try {
    return ((await client.call("read", (c) => c.api.read(PROBE))) as { data: { data: { value: string } } }).data.data.value;
  } finally {
    client.close();
  }
}

describe("snapshots follow a cluster's active node", () => {
  it("should save (CLI and the agent's schedule) and restore on the leader when vault.address names a standby, and when that node is down", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, setup: true, config: { vault: { snapshots: { every: "1s", keep: 3 } } } });
    const configFile = join(cluster.dir, "bootgate.yaml");
    const first = cluster.names[0]!;
    const addressOf = (name: string) => cluster.addresses[cluster.names.indexOf(name)]!;
    expect(cluster.config.vault.address).toBe(addressOf(first));
    // Make the leader another node: kill the first if it leads, wait for the election, bring it back as a standby.
    if ((await cluster.leaderName()) === first) {
      await cluster.kill(first);
      await poll(async () => ((await cluster.leaderName().catch(() => first)) !== first ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: "a new leader",
      });
      await cluster.start(first);
      await cluster.waitForVoters(3, 60_000, cluster.names);
    }
    const leader = await cluster.leaderName();
    expect(leader).not.toBe(first);

    const saved = value();
    await writeProbe(cluster, saved);
    const file = join(cluster.dir, "backup", "standby-address.bgsnap");
    const cli = await runCli(["snapshot", "save", "--out", file, "--config", configFile, "--json"]);
    expect([cli.code, cli.stderr]).toEqual([0, ""]);
    expect((JSON.parse(cli.stdout) as { node: string }).node).toBe(addressOf(leader));

    // The agent's schedule: the same function, the same node.
    const timers = new KeyedTimers(systemClock);
    const lines: string[] = [];
    const schedule = snapshotSchedule({ config: cluster.config, timers, clock: systemClock, log: (l) => lines.push(l) });
    schedule.start();
    try {
      await poll(async () => (lines.filter((l) => l.startsWith("snapshot saved")).length >= 2 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: () => `2 scheduled snapshots (log: ${lines.join(" | ")})`,
      });
    } finally {
      timers.cancelAll();
      await schedule.idle();
      timers.cancelAll();
    }
    expect(schedule.failures, lines.join("\n")).toBe(0);
    for (const line of lines.filter((l) => l.startsWith("snapshot saved"))) expect(line).toContain(`from ${addressOf(leader)})`);

    // vault.address's node down: the save and the restore still reach the leader.
    await cluster.kill(first);
    const down = await runCli(["snapshot", "save", "--out", join(cluster.dir, "backup", "first-down.bgsnap"), "--config", configFile, "--json"]);
    expect([down.code, down.stderr]).toEqual([0, ""]);
    const leaderNow = await cluster.leaderName();
    expect((JSON.parse(down.stdout) as { node: string }).node).toBe(addressOf(leaderNow));

    await writeProbe(cluster, value());
    expect(await readProbe(cluster)).not.toBe(saved);
    const restored = await runCli(["snapshot", "restore", file, "--config", configFile, "--json"]);
    expect([restored.code, restored.stderr]).toEqual([0, ""]);
    expect((JSON.parse(restored.stdout) as { node: string }).node).not.toBe(addressOf(first));
    const back = await poll(async () => ((await readProbe(cluster).catch(() => undefined)) === saved ? true : undefined), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: "the restored probe",
    });
    expect(back).toBe(true);
  }, 240_000);
});

const value = () => randomBytes(24).toString("base64");
