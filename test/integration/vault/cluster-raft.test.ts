// A 3-node OpenBao raft cluster on loopback: one self-init, three voters, one leader; a leader
// killed with SIGKILL is replaced and writes go on through bootgate's cluster client; a node
// replaced with empty storage rejoins and unseals itself with the static seal.
import { describe, expect, it } from "vitest";
import { readSealStatus } from "../../../src/vault/seal-status.js";
import { createVaultClient } from "../../../src/vault/vault-client.js";
import { startVaultCluster } from "../../support/vault-cluster.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { poll } from "../../../src/util/poll.js";
import { readFile } from "node:fs/promises";
import { caBundlePath } from "../../../src/volume/layout.js";

describe("a 3-node OpenBao raft cluster", () => {
  it("should form one cluster from one self-init, survive a killed leader, and take back a wiped node", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, setup: true });
    expect(cluster.initializer).toBe("vault-0");

    const servers = await cluster.servers();
    expect(servers.map((s) => s.node_id).sort()).toEqual(["vault-0", "vault-1", "vault-2"]);
    expect(servers.filter((s) => s.voter)).toHaveLength(3);
    expect(servers.filter((s) => s.leader)).toHaveLength(1);

    // Every node unsealed itself, and each one is verified by its own name and by the shared one.
    const caPem = await readFile(caBundlePath(cluster.config.secretsDir));
    for (const [i, address] of cluster.addresses.entries()) {
      for (const serverName of [`vault-${i}`, "vault"]) {
        const c = createVaultClient({ address, caPem, serverName });
        try {
          expect((await readSealStatus(c)).sealed).toBe(false);
        } finally {
          c.close();
        }
      }
    }

    // secretstore-setup ran on the cluster: a service's token works through every node.
    const token = await readTokenFile(cluster.config.secretsDir, "core-data");
    expect(token?.token).toBeTruthy();
    for (const address of cluster.addresses) {
      const c = createVaultClient({ address, caPem, serverName: "vault", token: token!.token });
      try {
        expect(((await c.api.read("auth/token/lookup-self")) as { data: { display_name: string } }).data.display_name).toContain("core-data");
      } finally {
        c.close();
      }
    }

    const client = await cluster.login();
    try {
      // A new kv-v2 mount refuses writes for a moment while it upgrades itself: the client waits that out.
      await client.call("write before", (c) => c.api.write("secret/data/probe", { data: { n: "before" } }));

      const leader = await cluster.leaderName();
      const killedAt = Date.now();
      await cluster.kill(leader);
      // The client still points at whichever node answered last; it must find the new active node.
      await client.call("write after the leader died", (c) => c.api.write("secret/data/probe", { data: { n: "after" } }));
      const recoveredMs = Date.now() - killedAt;
      expect(recoveredMs).toBeLessThan(30_000);
      const survivors = cluster.names.filter((n) => n !== leader);
      const newLeader = (await cluster.servers()).find((s) => s.leader)!.node_id;
      expect(survivors).toContain(newLeader);
      const read = (await client.call("read", (c) => c.api.read("secret/data/probe"))) as { data: { data: { n: string } } };
      expect(read.data.data.n).toBe("after");

      // The lost node comes back as a new machine: no storage, no init of its own; it joins and unseals.
      await cluster.wipe(leader);
      await cluster.start(leader);
      const back = await cluster.waitForVoters(3, 90_000, cluster.names);
      expect(back.filter((s) => s.leader).map((s) => s.node_id)).toHaveLength(1);
      const c = createVaultClient({ address: cluster.addresses[cluster.names.indexOf(leader)]!, caPem, serverName: leader });
      try {
        // Raft lists it as a voter as soon as the leader adds it; it unseals itself a moment later.
        const unsealed = await poll(async () => ((await readSealStatus(c).catch(() => ({ sealed: true }))).sealed ? undefined : true), {
          timeoutMs: 30_000,
          intervalMs: 250,
          what: `${leader} to unseal itself after rejoining`,
        });
        expect(unsealed).toBe(true);
      } finally {
        c.close();
      }
      console.log(`leader ${leader} killed: next write ${recoveredMs} ms later on ${newLeader}`);
    } finally {
      client.close();
    }
  }, 240_000);
});
