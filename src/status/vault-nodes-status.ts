// `bootgate status` for a Vault cluster (vault.cluster.nodes > 1): one row per node — reachable,
// sealed (each node asked itself, verified by its own name), and raft's view: voter, leader, the
// leader's last contact with it (autopilot state). Raft's view is read through bootgate's
// identity (a login with the IKM's key, revoked at once; its policy reads the raft
// configuration and autopilot); without the IKM, or with no leader, those columns say why.
import type { Config } from "../config/normalize.js";
import { readFile } from "node:fs/promises";
import { createVaultClient, vaultClientFor, type VaultClient } from "../vault/vault-client.js";
import { loadIdentityKey } from "../vault/bootgate-login.js";
import { readSealStatus } from "../vault/seal-status.js";
import { describeVaultError, vaultCall } from "../vault/vault-errors.js";
import { loginAsBootgate } from "../vault/identity.js";
import { readRaftServers, type RaftServer } from "../vault/cluster/raft-state.js";
import { revokeSelf } from "../vault/tokens.js";
import { caBundlePath } from "../volume/layout.js";
import type { StatusProvider } from "./section.js";

const NODE_TIMEOUT_MS = 3_000;

export interface AutopilotServer {
  name?: string;
  status?: string;
  healthy?: boolean;
  last_contact?: string;
}

export interface NodeStatus {
  name: string;
  address: string;
  reachable: boolean;
  sealed?: boolean;
  error?: string;
  voter?: boolean;
  leader?: boolean;
  /** The leader's last contact with it, as autopilot says ("0s" for the leader itself). */
  lastContact?: string;
  healthy?: boolean;
}

export interface RaftView {
  servers: RaftServer[];
  autopilot: Record<string, AutopilotServer>;
}

async function nodeSeal(config: Config, caPem: Buffer, name: string, address: string): Promise<Pick<NodeStatus, "reachable" | "sealed" | "error">> {
  const client = createVaultClient({ address, caPem, serverName: name, requestTimeoutMs: NODE_TIMEOUT_MS });
  try {
    const seal = await readSealStatus(client);
    return { reachable: true, sealed: seal.sealed || !seal.initialized };
  } catch (error) {
    return { reachable: false, error: describeVaultError(error) };
  } finally {
    client.close();
  }
}

/** Raft's members and autopilot's state, as bootgate; throws with the reason when it cannot. */
export async function readRaftView(config: Config): Promise<RaftView> {
  const key = await loadIdentityKey(config);
  const client: VaultClient = await vaultClientFor(config, undefined, NODE_TIMEOUT_MS);
  try {
    const login = await loginAsBootgate(client, key);
    if (!login.ok) throw new Error(`bootgate's login was refused (${login.reason})`);
    client.api.token = login.token;
    try {
      const servers = await readRaftServers(client);
      const state = (await vaultCall(client.address, "read sys/storage/raft/autopilot/state", () => client.api.read("sys/storage/raft/autopilot/state"))) as {
        data?: { servers?: Record<string, AutopilotServer> };
      };
      return { servers, autopilot: state.data?.servers ?? {} };
    } finally {
      await revokeSelf(client).catch(() => {});
    }
  } finally {
    client.close();
  }
}

/** Each node's row from its own answer and raft's view (undefined: raft could not be read). */
export function nodeRows(
  nodes: readonly { name: string; address: string }[],
  seals: readonly Pick<NodeStatus, "reachable" | "sealed" | "error">[],
  raft: RaftView | undefined,
): NodeStatus[] {
  return nodes.map((node, i) => {
    const server = raft?.servers.find((s) => s.node_id === node.name);
    const pilot = raft?.autopilot[node.name] ?? Object.values(raft?.autopilot ?? {}).find((p) => p.name === node.name);
    return {
      ...node,
      ...seals[i]!,
      ...(raft ? { voter: server?.voter ?? false, leader: server?.leader ?? false } : {}),
      ...(pilot?.last_contact !== undefined ? { lastContact: pilot.last_contact } : {}),
      ...(pilot?.healthy !== undefined ? { healthy: pilot.healthy } : {}),
    };
  });
}

const yesNo = (v: boolean | undefined) => (v === undefined ? "?" : v ? "yes" : "no");

export const vaultNodesStatus: StatusProvider = async (config) => {
  if (config.vault.cluster.nodes <= 1) return undefined;
  const { names, addresses } = config.vault.cluster;
  const nodes = names.map((name, i) => ({ name, address: addresses[i]! }));
  const caPem = await readFile(caBundlePath(config.secretsDir)).catch(() => undefined);
  if (!caPem) {
    return {
      key: "vaultNodes",
      title: `vault nodes (no CA bundle at ${caBundlePath(config.secretsDir)}: pki-init writes it)`,
      columns: [],
      rows: [],
      data: { nodes },
    };
  }
  const seals = await Promise.all(nodes.map((n) => nodeSeal(config, caPem, n.name, n.address)));
  let raftError: string | undefined;
  const raft = seals.some((s) => s.reachable && s.sealed === false)
    ? await readRaftView(config).catch((error: unknown) => ((raftError = describeVaultError(error)), undefined))
    : ((raftError = "no unsealed node"), undefined);
  const rows = nodeRows(nodes, seals, raft);
  return {
    key: "vaultNodes",
    title: `vault nodes: ${rows.filter((r) => r.reachable).length} of ${rows.length} reachable${raftError ? ` (raft not read: ${raftError})` : ""}`,
    columns: ["node", "address", "reachable", "sealed", "voter", "leader", "last contact"],
    rows: rows.map((r) => [
      r.name,
      r.address,
      r.reachable ? "yes" : `no: ${r.error ?? ""}`,
      r.reachable ? yesNo(r.sealed) : "?",
      yesNo(r.voter),
      yesNo(r.leader),
      r.lastContact ?? "?",
    ]),
    data: { nodes: rows, ...(raftError ? { raftError } : {}) },
  };
};
