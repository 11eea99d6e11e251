// `bootgate status` for Vault: its address and seal state, its audit devices, then per service
// (and bootgate) whether the token on the volume is valid and its TTL. Each token looks itself
// up; the audit devices are listed with bootgate's own later-stage token, whose policy may read
// `sys/audit` and nothing else under sys/. Never throws for a Vault that is down: it says so in
// its title.
import { BOOTGATE_IDENTITY } from "../vault/layout.js";
import { mapLimit } from "../util/map-limit.js";
import { readSealStatus } from "../vault/seal-status.js";
import { readTokenFile } from "../vault/token-file.js";
import { lookupSelf } from "../vault/tokens.js";
import { type VaultClient, vaultClientFor } from "../vault/vault-client.js";
import { describeVaultError } from "../vault/vault-errors.js";
import type { StatusProvider } from "./section.js";

export interface TokenStatus {
  service: string;
  /** unknown: there is a token file but Vault could not be asked. */
  state: "valid" | "invalid" | "missing" | "unknown";
  ttlSeconds?: number;
  policies?: string[];
}

export interface AuditDevice {
  path: string;
  type: string;
  /** A file device's log, where it is one. */
  file?: string;
}

export interface VaultStatus {
  address: string;
  serverName: string;
  state: "unsealed" | "sealed" | "not initialized" | "unreachable";
  error?: string;
  /** Undefined when they could not be listed (no bootgate token on the volume, Vault sealed). */
  audit?: AuditDevice[];
  tokens: TokenStatus[];
}

const STATUS_TIMEOUT_MS = 3_000;

export function formatTtl(seconds: number | undefined): string {
  if (seconds === undefined) return "";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(seconds % 60).padStart(2, "0")}s`;
}

type StatusConfig = Parameters<StatusProvider>[0];

/**
 * A status client with another token: short timeouts, the same TLS checks, and in a cluster every
 * node (vaultClientFor follows the active one), so a lookup does not fail with the node at
 * `vault.address` down while the cluster answers.
 */
const clientWithToken = (config: StatusConfig, token: string): Promise<VaultClient> => vaultClientFor(config, token, STATUS_TIMEOUT_MS);

async function tokenStatus(config: StatusConfig, reachable: boolean, service: string): Promise<TokenStatus> {
  const file = await readTokenFile(config.secretsDir, service).catch(() => undefined);
  if (!file) return { service, state: "missing" };
  if (!reachable) return { service, state: "unknown" };
  let client: VaultClient | undefined;
  try {
    client = await clientWithToken(config, file.token);
    const info = await lookupSelf(client);
    return info ? { service, state: "valid", ttlSeconds: info.ttl, policies: info.policies } : { service, state: "invalid" };
  } catch {
    return { service, state: "unknown" };
  } finally {
    client?.close();
  }
}

async function auditDevices(config: StatusConfig): Promise<AuditDevice[] | undefined> {
  const file = await readTokenFile(config.secretsDir, BOOTGATE_IDENTITY).catch(() => undefined);
  if (!file) return undefined;
  let client: VaultClient | undefined;
  try {
    client = await clientWithToken(config, file.token);
    const body = (await client.api.read("sys/audit")) as { data?: Record<string, { type: string; options?: { file_path?: string } }> };
    return Object.entries(body.data ?? {}).map(([path, d]) => ({ path, type: d.type, ...(d.options?.file_path ? { file: d.options.file_path } : {}) }));
  } catch {
    return undefined;
  } finally {
    client?.close();
  }
}

export async function readVaultStatus(config: StatusConfig): Promise<VaultStatus> {
  const status: VaultStatus = { address: config.vault.address, serverName: config.vault.service, state: "unreachable", tokens: [] };
  let client: VaultClient | undefined;
  try {
    client = await vaultClientFor(config, undefined, STATUS_TIMEOUT_MS);
    const seal = await readSealStatus(client);
    status.state = !seal.initialized ? "not initialized" : seal.sealed ? "sealed" : "unsealed";
  } catch (error) {
    status.error = describeVaultError(error);
  }
  try {
    const usable = status.state === "unsealed";
    const names = [...config.services.map((s) => s.name), BOOTGATE_IDENTITY];
    status.tokens = await mapLimit(names, 16, (n) => tokenStatus(config, usable, n));
    const audit = usable ? await auditDevices(config) : undefined;
    if (audit) status.audit = audit;
  } finally {
    client?.close();
  }
  return status;
}

function auditLine(audit: AuditDevice[] | undefined): string {
  if (audit === undefined) return "audit: not listed";
  if (audit.length === 0) return "audit: NONE";
  return `audit: ${audit.map((d) => `${d.path} ${d.type}${d.file ? ` ${d.file}` : ""}`).join(", ")}`;
}

export const vaultStatus: StatusProvider = async (config) => {
  const status = await readVaultStatus(config);
  return {
    key: "vault",
    title: `vault ${status.address} (${status.state}${status.error ? `: ${status.error}` : ""}; ${auditLine(status.audit)})`,
    columns: ["service", "token", "ttl", "policies"],
    rows: status.tokens.map((t) => [t.service, t.state, formatTtl(t.ttlSeconds), (t.policies ?? []).join(",")]),
    data: status,
  };
};
