// One VaultClient for the whole cluster: every call on its `api` (read, write, delete, the sys
// helpers, …) runs through the ActiveNodeFollower, so the code written for one node — unlock,
// provisioning, the KV client, the status — survives a dead node or a leader change mid-request
// without knowing a cluster exists. The token is set on every node's client at once.
import type { ClusterClient } from "./cluster-client.js";
import type { NodeVaultClient, VaultClient } from "../vault-client.js";

type Api = Record<string | symbol, unknown>;

const describeCall = (method: string, args: unknown[]) => (typeof args[0] === "string" ? `${method} ${args[0]}` : method);

export function followingApi(cluster: Pick<ClusterClient, "follower" | "call" | "setToken">): NodeVaultClient {
  const first = cluster.follower.nodes[0]!.api as unknown as Api;
  const wrapped = new Map<string | symbol, unknown>();
  return new Proxy(first, {
    get(_target, prop) {
      const value = first[prop];
      if (typeof value !== "function") return (cluster.follower.current.api as unknown as Api)[prop];
      let method = wrapped.get(prop);
      if (!method) {
        method = (...args: unknown[]) =>
          cluster.call(describeCall(String(prop), args), (c) => ((c.api as unknown as Api)[prop] as (...a: unknown[]) => Promise<unknown>)(...args));
        wrapped.set(prop, method);
      }
      return method;
    },
    set(_target, prop, value) {
      if (prop === "token") cluster.setToken(value as string);
      else for (const node of cluster.follower.nodes) (node.api as unknown as Api)[prop] = value;
      return true;
    },
  }) as unknown as NodeVaultClient;
}

/** `address` names the cluster in messages and token files: vault.address, what the services use. */
export function followingVaultClient(cluster: ClusterClient, address: string): VaultClient {
  const node = cluster.follower.nodes[0]!;
  return {
    api: followingApi(cluster),
    address,
    serverName: node.serverName,
    caPem: node.caPem,
    resendsCalls: true,
    callTracked: (what, request) => cluster.callTracked(what, (c) => request(c.api)),
    close: () => cluster.close(),
  };
}
