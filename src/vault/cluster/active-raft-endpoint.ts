// Runs a raft snapshot call (raft-snapshot-api.ts: plain https, not node-vault) on the cluster's
// active node. A standby may forward a snapshot request or answer 307 (which plain https does not
// follow), and vault.address may name a node that is down: so each call looks for the active node
// (sys/leader's is_self on every node) and moves on, as every other Vault call does
// (active-node.ts), when a node refuses, redirects or has no leader. One node: that node.
import type { Config } from "../../config/normalize.js";
import { createClusterClient } from "./cluster-client.js";
import type { RaftEndpoint } from "./raft-snapshot-api.js";

export interface OnActiveNode<T> {
  value: T;
  /** The node that answered. */
  address: string;
}

export async function onActiveRaftNode<T>(
  config: Config,
  endpoint: Omit<RaftEndpoint, "address">,
  what: string,
  work: (endpoint: RaftEndpoint) => Promise<T>,
): Promise<OnActiveNode<T>> {
  const addresses = config.vault.cluster.addresses;
  if (addresses.length <= 1) return { value: await work({ ...endpoint, address: config.vault.address }), address: config.vault.address };
  const cluster = createClusterClient({
    addresses,
    caPem: endpoint.caPem,
    serverName: endpoint.serverName,
    token: endpoint.token,
    requestTimeoutMs: 5_000,
    deadlineMs: config.vault.waitTimeoutMs,
  });
  try {
    return await cluster.call(what, async (node) => ({ value: await work({ ...endpoint, address: node.address }), address: node.address }));
  } finally {
    cluster.close();
  }
}
