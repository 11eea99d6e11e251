// The nodes of a local OpenBao raft cluster (`up --local` with vault.cluster.nodes > 1, and the
// integration tests' test/support/vault-cluster.ts): each node a `bao server` in its own folder
// with its own leaf (`<secretsDir>/<node>/`), `retry_join` to the others verified by their names,
// and the same static seal; exactly one node initializes, and only while no node has storage
// (src/vault/cluster/initializer.ts), so a restart or a wiped node joins instead of forming a
// second cluster.
import { join } from "node:path";
import type { Config } from "../config/normalize.js";
import { chooseInitializer, hasRaftStorage } from "../vault/cluster/initializer.js";
import { writeNodeBootConfigs } from "../vault/cluster/node-boot-config.js";
import { type ClusterPeer, retryJoinHcl } from "../vault/cluster/retry-join.js";
import { caBundlePath, serviceDir } from "../volume/layout.js";
import { type OpenBaoHandle, startOpenBao } from "./openbao-process.js";

/** The same file_path on every node (OpenBao compares it with the stored audit table), each in its own folder. */
export const CLUSTER_AUDIT_FILE = join("audit", "audit.log");

export interface ClusterNode extends ClusterPeer {
  port: number;
  clusterPort: number;
  /** The node's folder: bao.hcl, bao.log, `data/` (raft), `audit/`. */
  dir: string;
}

export const nodeDataDir = (node: Pick<ClusterNode, "dir">) => join(node.dir, "data");

/** The nodes `up --local` runs: `<stateDir>/openbao/<name>`, on vault.cluster.addresses (cluster port: +1). */
export function localClusterNodes(config: Config): ClusterNode[] {
  return config.vault.cluster.names.map((name, i) => {
    const apiAddr = config.vault.cluster.addresses[i]!;
    const port = Number(new URL(apiAddr).port || 443);
    return { name, apiAddr, port, clusterPort: port + 1, dir: join(config.stateDir, "openbao", name) };
  });
}

/** The node that self-initializes now, or undefined when any node holds storage (the others join it). */
export async function initializerNow(nodes: readonly ClusterNode[]): Promise<string | undefined> {
  return chooseInitializer(await Promise.all(nodes.map(async (n) => ({ name: n.name, hasStorage: await hasRaftStorage(nodeDataDir(n)) }))));
}

export interface NodeStart {
  config: Config;
  nodes: readonly ClusterNode[];
  initializer: string | undefined;
  /** Each node's boot config (writeNodeBootConfigs). */
  bootConfigs: Map<string, string>;
  readyTimeoutMs?: number;
}

export function startClusterNode(node: ClusterNode, start: NodeStart): Promise<OpenBaoHandle> {
  const caFile = caBundlePath(start.config.secretsDir);
  return startOpenBao({
    dir: node.dir,
    tlsDir: serviceDir(start.config.secretsDir, node.name),
    caFile,
    serverName: node.name,
    port: node.port,
    clusterPort: node.clusterPort,
    nodeId: node.name,
    auditFile: CLUSTER_AUDIT_FILE,
    // The initializer bootstraps alone: with retry_join it could join nobody yet race its own init.
    raftHcl: node.name === start.initializer ? "" : retryJoinHcl(node.name, start.nodes, caFile),
    configFiles: [start.bootConfigs.get(node.name)!],
    ...(start.readyTimeoutMs ? { readyTimeoutMs: start.readyTimeoutMs } : {}),
  });
}

export interface StartedCluster {
  initializer: string | undefined;
  handles: Map<string, OpenBaoHandle>;
}

/**
 * Every node at once (a joiner waits for its peers by itself). `onStarted` hears of each node as
 * it answers, so a caller can stop the ones that did when another fails.
 */
export async function startClusterNodes(
  config: Config,
  nodes: readonly ClusterNode[],
  onStarted: (name: string, handle: OpenBaoHandle) => void,
  readyTimeoutMs?: number,
): Promise<StartedCluster> {
  const initializer = await initializerNow(nodes);
  const bootConfigs = await writeNodeBootConfigs(config, initializer);
  const start: NodeStart = { config, nodes, initializer, bootConfigs, ...(readyTimeoutMs ? { readyTimeoutMs } : {}) };
  const handles = new Map<string, OpenBaoHandle>();
  const results = await Promise.allSettled(
    nodes.map(async (node) => {
      const handle = await startClusterNode(node, start);
      handles.set(node.name, handle);
      onStarted(node.name, handle);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return { initializer, handles };
}
