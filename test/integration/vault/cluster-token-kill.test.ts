// kill -9 of the raft leader in the middle of a token create, on a real 3-node cluster: the
// leader has committed the token and is killed before its answer reaches the client (a proxy in
// front of each node holds that answer back, test/support/answer-cut-proxy.ts). The follower
// sends the create again on the new leader, which makes a second token. Without the revoke the
// first stays, held by nobody; with it exactly one is left, the one handed back.
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createClusterClient } from "../../../src/vault/cluster/cluster-client.js";
import { followingVaultClient } from "../../../src/vault/cluster/following-client.js";
import { deriveIdentityKey } from "../../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../../src/vault/identity.js";
import { readIkmFile } from "../../../src/vault/ikm.js";
import { TOKEN_SELF_POLICY } from "../../../src/vault/policies.js";
import { type ResentCreate, ResentCreates } from "../../../src/vault/resent-creates.js";
import { CREATE_NONCE_META, createPeriodicToken, lookupAccessor, lookupSelf, type TokenInfo } from "../../../src/vault/tokens.js";
import { createVaultClient, type VaultClient } from "../../../src/vault/vault-client.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { startAnswerCutProxy } from "../../support/answer-cut-proxy.js";
import { startVaultCluster } from "../../support/vault-cluster.js";

describe("the raft leader killed between committing a token and answering", () => {
  it("should leave the one token handed back, where the resend alone leaves two", async () => {
    await using cluster = await startVaultCluster({ nodes: 3, config: { services: [{ name: "core-data" }] } });
    const setup = await cluster.runSetup();
    expect(setup.ok, setup.output).toBe(true);
    const { config } = cluster;
    const caPem = await readFile(caBundlePath(config.secretsDir));
    await using p0 = await startAnswerCutProxy(cluster.addresses[0]!);
    await using p1 = await startAnswerCutProxy(cluster.addresses[1]!);
    await using p2 = await startAnswerCutProxy(cluster.addresses[2]!);
    const proxies = [p0, p1, p2];

    const follow = createClusterClient({ addresses: proxies.map((p) => p.address), caPem, serverName: config.vault.service });
    const key = deriveIdentityKey(await readIkmFile(cluster.ikmFile, "test"));
    const login = await follow.call("log in as bootgate", (c) => loginAsBootgate(c, key));
    if (!login.ok) throw new Error(login.detail);
    follow.setToken(login.token);
    const client = followingVaultClient(follow, config.vault.address);

    /** Every live token of that display name, as the active node sees them (a client of the real nodes). */
    const live = async (displayName: string): Promise<TokenInfo[]> => {
      const admin = followingVaultClient(await cluster.login(), config.vault.address);
      try {
        const list = (await admin.api.list("auth/token/accessors")) as { data: { keys: string[] } };
        const infos = await Promise.all(list.data.keys.map((a) => lookupAccessor(admin, a)));
        return infos.filter((i): i is TokenInfo => i?.display_name === `token-${displayName}`);
      } finally {
        await admin.api.write("auth/token/revoke-self", {});
        admin.close();
      }
    };

    /** One create with the leader killed under it; the token handed back and what the follower reported. */
    const createUnderKill = async (displayName: string, resent: { add(c: ResentCreate): void }) => {
      const leader = await cluster.leaderName();
      // Leaves a pooled connection to the node the follower asks first (the leader once it is confirmed).
      await lookupSelf(client);
      const asked = proxies.find((p) => p.address === follow.follower.current.address)!;
      const cut = asked.arm(() => cluster.kill(leader));
      const t0 = performance.now();
      const token = await createPeriodicToken(client, { policies: ["svc-core-data", TOKEN_SELF_POLICY], displayName, meta: { service: "core-data" } }, resent);
      expect(await cut, "the answer was cut and the leader killed").toBe(true);
      console.log(
        `cluster-token-kill: ${displayName}: leader ${leader} killed, create answered by the next leader after ${Math.round(performance.now() - t0)} ms`,
      );
      return { leader, token };
    };

    // Without the revoke: the follower reports the resend, and two tokens are left.
    const reported: ResentCreate[] = [];
    const first = await createUnderKill("bootgate-kill-naive", { add: (c) => reported.push(c) });
    expect(reported.map((r) => r.keep)).toEqual([first.token.accessor]);
    const naive = await live("bootgate-kill-naive");
    expect(naive, "the killed leader had committed the first create").toHaveLength(2);
    expect(new Set(naive.map((t) => t.meta?.[CREATE_NONCE_META]))).toEqual(new Set([reported[0]!.nonce]));

    // The killed node back (a second kill needs a quorum of the three).
    await cluster.start(first.leader);
    await cluster.waitForVoters(3, 90_000, cluster.names);

    // With it: one token left, the one handed back, and it works through every node.
    const gathered = new ResentCreates();
    const second = await createUnderKill("bootgate-kill-fixed", gathered);
    expect(gathered.size, "the follower reported the resend").toBe(1);
    expect(await gathered.settle(client)).toBe(1);
    const left = await live("bootgate-kill-fixed");
    expect(left.map((t) => t.accessor)).toEqual([second.token.accessor]);
    for (const address of cluster.addresses.filter((_, i) => cluster.names[i] !== second.leader)) {
      const holder: VaultClient = createVaultClient({ address, caPem, serverName: config.vault.service, token: second.token.token });
      try {
        expect((await lookupSelf(holder))?.accessor, address).toBe(second.token.accessor);
      } finally {
        holder.close();
      }
    }
    client.close();
  });
});
