// node-vault clients for every node of a cluster, each verifying its node by the shared
// `vault.service` name against the stack's CA, behind one follower (src/vault/cluster/active-node.ts).
import { createVaultClient, type VaultClient } from "../vault-client.js";
import { ActiveNodeFollower, type FollowOptions, type TrackedAnswer } from "./active-node.js";

export interface ClusterClient {
  follower: ActiveNodeFollower<VaultClient>;
  /** Runs a request on the active node (see ActiveNodeFollower.call). */
  call<T>(what: string, request: (client: VaultClient) => Promise<T>): Promise<T>;
  /** As call, saying whether the request went out more than once (ActiveNodeFollower.callTracked). */
  callTracked<T>(what: string, request: (client: VaultClient) => Promise<T>): Promise<TrackedAnswer<T>>;
  /** Gives every node's client the token (after a login). */
  setToken(token: string): void;
  close(): void;
}

export interface ClusterClientOptions extends Partial<Omit<FollowOptions, "isActive">> {
  addresses: readonly string[];
  caPem: string | Buffer;
  serverName: string;
  token?: string;
  requestTimeoutMs?: number;
}

export function createClusterClient(options: ClusterClientOptions): ClusterClient {
  const clients = options.addresses.map((address) =>
    createVaultClient({
      address,
      caPem: options.caPem,
      serverName: options.serverName,
      token: options.token,
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
    }),
  );
  const follower = new ActiveNodeFollower(clients, {
    deadlineMs: options.deadlineMs ?? 30_000,
    roundPauseMs: options.roundPauseMs ?? 200,
    isActive: async (c) => ((await c.api.read("sys/leader")) as { is_self?: boolean }).is_self === true,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return {
    follower,
    call: (what, request) => follower.call(what, request),
    callTracked: (what, request) => follower.callTracked(what, request),
    setToken(token) {
      for (const c of clients) c.api.token = token;
    },
    close() {
      for (const c of clients) c.close();
    },
  };
}
