// `up --local` with vault.cluster.nodes > 1: the nodes on loopback (vault.cluster.addresses, each
// cluster port +1), each in `<stateDir>/openbao/<node>/`, started once pki-ready is open — one
// initializes, the others join and unseal themselves with the static seal. Each is a part of the
// stack: in the supervisor (stopped with it) and, through startOpenBao, in the watchdog's record
// (stopped after a kill -9 of `up`). As for one node, storage that never saw a vault-ready is set
// aside before the start, and every node's folder is marked at the gate.
import type { Config } from "../config/normalize.js";
import { localClusterNodes, startClusterNodes } from "../servers/openbao-cluster.js";
import { markVaultReadySeen, setAsideUnfinishedFirstBoot } from "../vault/unfinished-first-boot.js";
import type { Supervisor } from "./supervisor.js";

export const isLocalCluster = (config: Config): boolean => config.vault.cluster.nodes > 1;

export async function startLocalVaultCluster(config: Config, supervisor: Supervisor, readyTimeoutMs: number): Promise<void> {
  await startClusterNodes(config, localClusterNodes(config), (name, handle) => supervisor.add({ name: `openbao ${name}`, stop: handle.stop }), readyTimeoutMs);
}

/** The folders whose storage went aside (see src/vault/unfinished-first-boot.ts). */
export async function setAsideUnfinishedNodes(config: Config): Promise<string[]> {
  if (!isLocalCluster(config)) return [];
  const aside: string[] = [];
  for (const node of localClusterNodes(config)) {
    const where = await setAsideUnfinishedFirstBoot(node.dir, config.stateDir);
    if (where) aside.push(where);
  }
  return aside;
}

export async function markNodesVaultReadySeen(config: Config): Promise<void> {
  if (!isLocalCluster(config)) return;
  await Promise.all(localClusterNodes(config).map((node) => markVaultReadySeen(node.dir)));
}
