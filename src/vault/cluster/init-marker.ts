// Whether this stack's Vault cluster was ever initialized, from the one place that outlives every
// node: the state folder. Nodes cannot decide it from their own storage — a wiped vault-0 beside
// live peers sees an empty folder and would self-initialize a second cluster. So bootgate hands
// the `initialize` stanza to the first node only while no marker exists, and writes the marker
// (the cluster's id, public) once secretstore-setup has logged in to the initialized cluster.
// A crash between self-initialization and the marker leaves no marker: the next boot hands the
// stanza to the same first node again, whose storage is initialized now, and OpenBao ignores
// the stanza on initialized storage (the single-node compose file passes it at every boot), so
// the first node rejoins its own cluster and the marker is written then.
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "../../config/normalize.js";
import { writeFileAtomic } from "../../fs/atomic-write.js";
import { clusterMarkerPath } from "../../volume/layout.js";

export interface ClusterMarker {
  /** Vault's cluster_id when the marker was written. */
  clusterId: string;
}

/** The marker, or undefined when there is none (a stack whose cluster was never initialized). */
export async function readClusterMarker(stateDir: string): Promise<ClusterMarker | undefined> {
  const path = clusterMarkerPath(stateDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as Partial<ClusterMarker>;
  if (typeof parsed.clusterId !== "string" || parsed.clusterId === "") throw new Error(`${path}: expected {"clusterId": "<Vault's cluster_id>"}`);
  return { clusterId: parsed.clusterId };
}

export async function writeClusterMarker(stateDir: string, marker: ClusterMarker): Promise<void> {
  const path = clusterMarkerPath(stateDir);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(marker) + "\n", { mode: 0o600 });
}

/** The node that gets the `initialize` stanza at this boot: the first, only while no marker exists. */
export function initializerFor(config: Config, marker: ClusterMarker | undefined): string | undefined {
  return marker ? undefined : config.vault.cluster.names[0];
}

/**
 * After the login: records the cluster on its first boot; on a later one, refuses a cluster that
 * is not the one recorded (a second cluster formed beside the first holds none of its secrets).
 * Returns true when it wrote the marker.
 */
export async function recordCluster(config: Config, clusterId: string | undefined): Promise<boolean> {
  if (!clusterId) throw new Error("Vault's seal status names no cluster_id: cannot record the cluster");
  const marker = await readClusterMarker(config.stateDir);
  if (!marker) {
    await writeClusterMarker(config.stateDir, { clusterId });
    return true;
  }
  if (marker.clusterId !== clusterId) {
    throw new Error(
      `Vault's cluster is ${clusterId}, not ${marker.clusterId} recorded in ${clusterMarkerPath(config.stateDir)} at its first initialization: ` +
        `a second cluster was formed, or the nodes' storage was replaced. The nodes that hold the first cluster's storage are its data; ` +
        `if the new cluster is meant, remove ${clusterMarkerPath(config.stateDir)} and boot again`,
    );
  }
  return false;
}
