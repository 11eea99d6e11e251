// `bootgate status --json` on a real 3-node cluster: every node reachable, unsealed, a voter, one
// leader, autopilot's last contact; then a standby killed: its row says unreachable and the others
// still answer, raft read through bootgate's identity on the survivors; and with the node at
// vault.address down, the vault section still looks every token up through the others.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../../../src/status/vault-nodes-status.js";
import { runCli } from "../../support/cli.js";
import { startVaultCluster } from "../../support/vault-cluster.js";

async function statusNodes(configFile: string): Promise<{ code: number; nodes: NodeStatus[]; raftError?: string; stdout: string }> {
  const { code, stdout } = await runCli(["status", "--json", "--config", configFile]);
  const section = (JSON.parse(stdout) as { vaultNodes: { nodes: NodeStatus[]; raftError?: string } }).vaultNodes;
  return { code, stdout, ...section };
}

describe("bootgate status on a Vault cluster", () => {
  it("should show each node reachable, sealed, voter, leader and last contact, and a killed node as unreachable", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, setup: true });
    const configFile = join(cluster.dir, "bootgate.yaml");
    const leader = await cluster.leaderName();

    const all = await statusNodes(configFile);
    expect(all.raftError).toBeUndefined();
    expect(all.nodes.map((n) => [n.name, n.address, n.reachable, n.sealed, n.voter])).toEqual(
      cluster.names.map((name, i) => [name, cluster.addresses[i], true, false, true]),
    );
    expect(all.nodes.filter((n) => n.leader).map((n) => n.name)).toEqual([leader]);
    for (const n of all.nodes) expect(n.lastContact).toMatch(/^\d+(\.\d+)?(ns|µs|us|ms|s|m)/);
    expect(all.stdout).not.toMatch(/"token"|hvs\.|s\.[A-Za-z0-9]{20}/);

    const standby = cluster.names.find((n) => n !== leader)!;
    await cluster.kill(standby);
    const one = await statusNodes(configFile);
    const row = one.nodes.find((n) => n.name === standby)!;
    expect(row.reachable).toBe(false);
    expect(row.error).toMatch(/ECONNREFUSED|refused/i);
    expect(one.nodes.filter((n) => n.reachable).map((n) => n.name)).toEqual(cluster.names.filter((n) => n !== standby));
    expect(one.nodes.filter((n) => n.leader).map((n) => n.name)).toEqual([leader]);
    // Raft still lists the killed node as a voter (autopilot removes it only after a minute).
    expect(row.voter).toBe(true);

    // The node bootgate's config names first (vault.address) down — it may be the leader: the
    // vault section asks the cluster, not that one address, and every token still looks itself up.
    await cluster.start(standby);
    await cluster.waitForVoters(3);
    const first = cluster.names[0]!;
    expect(cluster.addresses[0]).toBe(cluster.config.vault.address);
    await cluster.kill(first);
    const { stdout } = await runCli(["status", "--json", "--config", configFile]);
    const vault = (JSON.parse(stdout) as { vault: { state: string; tokens: { service: string; state: string }[] } }).vault;
    expect(vault.state).toBe("unsealed");
    expect(vault.tokens.length).toBeGreaterThan(0);
    expect(vault.tokens.filter((t) => t.state !== "missing").map((t) => [t.service, t.state])).toEqual(
      vault.tokens.filter((t) => t.state !== "missing").map((t) => [t.service, "valid"]),
    );
    expect(vault.tokens.filter((t) => t.state === "valid").length).toBeGreaterThan(0);
  });
});
