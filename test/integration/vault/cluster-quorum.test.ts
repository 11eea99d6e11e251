// 5 OpenBao nodes: two lost at once (the leader among them), the cluster still takes writes through
// bootgate's client; a third lost, no quorum: the call fails within its deadline naming every node
// and what each answered.
import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../../src/errors.js";
import { startVaultCluster } from "../../support/vault-cluster.js";

describe("a 5-node OpenBao raft cluster", () => {
  it("should take writes with two nodes down, and fail clearly naming the nodes with three down", async () => {
    await using cluster = await startVaultCluster({ nodes: 5, setup: true });
    const leader = await cluster.leaderName();
    const firstDown = [leader, cluster.names.find((n) => n !== leader)!];
    const client = await cluster.login();
    try {
      await client.call("write", (c) => c.api.write("secret/data/quorum/probe", { data: { n: "five" } }));
      for (const name of firstDown) await cluster.kill(name);
      await client.call("write with two down", (c) => c.api.write("secret/data/quorum/probe", { data: { n: "three" } }));
      const read = (await client.call("read", (c) => c.api.read("secret/data/quorum/probe"))) as { data: { data: { n: string } } };
      expect(read.data.data.n).toBe("three");
    } finally {
      client.close();
    }

    const third = cluster.names.find((n) => !firstDown.includes(n))!;
    const short = await cluster.login({ deadlineMs: 8_000 });
    try {
      await cluster.kill(third);
      const error = await short.call("write with three down", (c) => c.api.write("secret/data/quorum/probe", { data: { n: "two" } })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      const message = (error as Error).message;
      expect(message).toContain("an active Vault node to write with three down");
      for (const name of [...firstDown, third]) expect(message).toMatch(new RegExp(`${cluster.addresses[cluster.names.indexOf(name)]}: [^;]*ECONNREFUSED`));
      // The two that are up are named too, with what they answered: with no leader they still redirect
      // (307, which node-vault's axios follows) to the last leader they knew, a dead node; or an HTTP error.
      const up = cluster.names.filter((n) => ![...firstDown, third].includes(n));
      for (const name of up)
        expect(message).toMatch(new RegExp(`${cluster.addresses[cluster.names.indexOf(name)]}: (HTTP 5\\d\\d|timeout of|connect ECONNREFUSED)`));
    } finally {
      short.close();
    }
  }, 240_000);
});
