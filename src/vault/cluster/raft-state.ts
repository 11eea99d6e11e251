// What raft says about the cluster, through bootgate's identity (its policy reads
// sys/storage/raft/configuration and manages autopilot): members, voters, the leader; and
// autopilot's dead-server cleanup, so a node replaced with empty storage (a new raft id at the same
// name) does not leave its old self counted in the quorum.
import type { VaultClient } from "../vault-client.js";
import { vaultCall } from "../vault-errors.js";

export interface RaftServer {
  node_id: string;
  address: string;
  leader: boolean;
  voter: boolean;
}

export async function readRaftServers(client: Pick<VaultClient, "api" | "address">): Promise<RaftServer[]> {
  const answer = (await vaultCall(client.address, "read sys/storage/raft/configuration", () => client.api.read("sys/storage/raft/configuration"))) as {
    data: { config: { servers: RaftServer[] } };
  };
  return answer.data.config.servers;
}

export interface AutopilotSettings {
  /** The cluster's size: autopilot never removes a server below it. */
  minQuorum: number;
  /** How long a server may stay silent before it is removed (OpenBao's minimum is 1m). */
  deadServerAfter: string;
}

/** A cluster's autopilot: never below its own size, a silent server gone after OpenBao's minimum. */
export const clusterAutopilot = (nodes: number): AutopilotSettings => ({ minQuorum: nodes, deadServerAfter: "1m" });

export async function configureAutopilot(client: Pick<VaultClient, "api" | "address">, settings: AutopilotSettings): Promise<void> {
  await vaultCall(client.address, "write sys/storage/raft/autopilot/configuration", () =>
    client.api.write("sys/storage/raft/autopilot/configuration", {
      cleanup_dead_servers: true,
      dead_server_last_contact_threshold: settings.deadServerAfter,
      min_quorum: settings.minQuorum,
    }),
  );
}
