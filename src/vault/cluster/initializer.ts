// Exactly one node of a cluster may self-initialize, and only while no node has storage: OpenBao's
// self-init on every node with retry_join forms several one-node clusters (openbao issues 3652,
// 2274), and a wiped node that self-initialized again would start a second cluster beside the
// first. So bootgate picks the initializer: the first node, on the first boot only; every other
// start of every node joins.
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export interface NodeStorage {
  name: string;
  /** The node holds raft state already (it was part of a cluster once). */
  hasStorage: boolean;
}

/** The node that gets the `initialize` stanza, or undefined when the cluster exists. */
export function chooseInitializer(nodes: readonly NodeStorage[]): string | undefined {
  if (nodes.length === 0 || nodes.some((n) => n.hasStorage)) return undefined;
  return nodes[0]!.name;
}

/** OpenBao keeps raft's log in `<path>/raft/raft.db` and the FSM in `<path>/vault.db`. */
export async function hasRaftStorage(dataDir: string): Promise<boolean> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  if (names.includes("vault.db")) return true;
  return (await readdir(join(dataDir, "raft")).catch(() => [] as string[])).includes("raft.db");
}
