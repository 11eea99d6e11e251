// vaultClientFor's answer when vault.cluster has more than one node: a client on every node
// (vault.cluster.addresses), each verified by the shared vault.service name, behind one follower.
// A call looks for an active node for as long as the stage waits for Vault at all
// (vault.waitTimeout): an election takes a second or two, a node restarting longer. A caller that
// asks for short requests (status, the agent's probes) wants a short answer: three of them at most.
import type { Config } from "../../config/normalize.js";
import { DEFAULT_REQUEST_TIMEOUT_MS, type VaultClient } from "../vault-client.js";
import { createClusterClient } from "./cluster-client.js";
import { followingVaultClient } from "./following-client.js";

export function clusterVaultClient(config: Config, caPem: Buffer, token?: string, requestTimeoutMs?: number): VaultClient {
  const cluster = createClusterClient({
    addresses: config.vault.cluster.addresses,
    caPem,
    serverName: config.vault.service,
    ...(token !== undefined ? { token } : {}),
    requestTimeoutMs: requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    deadlineMs: requestTimeoutMs ? Math.min(config.vault.waitTimeoutMs, 3 * requestTimeoutMs) : config.vault.waitTimeoutMs,
  });
  return followingVaultClient(cluster, config.vault.address);
}
