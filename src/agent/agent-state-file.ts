// The agent's state as a file, so `bootgate status` (another process, maybe another container)
// can say per service when the next renewal is due, when the last one was and what last failed.
// Times, serials and error messages only: never a token, key or accessor. The agent rewrites it
// after each change and on a heartbeat, so a file much older than the heartbeat means the agent
// is not running (it cannot be asked: status may run where the agent's pid means nothing).
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { agentStatePath } from "../volume/layout.js";
import type { AgentState, KeptItem, KeptKind } from "./agent-state.js";

export const AGENT_STATE_VERSION = 1;
/** The agent rewrites its file at least this often, changes or not. */
export const AGENT_STATE_HEARTBEAT_MS = 60_000;

export interface AgentStateItem {
  kind: KeptKind;
  service: string;
  /** ISO 8601 times, absent until known. */
  expiresAt?: string;
  renewedAt?: string;
  nextAt?: string;
  lastError?: string;
  failing: number;
  failuresTotal: number;
  serial?: string;
}

export interface AgentStateFile {
  version: typeof AGENT_STATE_VERSION;
  /** When the agent wrote this, ISO 8601. */
  writtenAt: string;
  startedAt: string;
  /** How often the agent rewrites it while it runs. */
  heartbeatMs: number;
  /** Set by an agent that stopped cleanly: its last word. */
  stopped: boolean;
  vault: { sealed: boolean | null; error?: string };
  items: AgentStateItem[];
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * Vault's token formats (hvs., hvb., hvr., and the older s./b./r. ones): an error message quoting
 * a request should never carry one, but the file outlives the log line, so it is masked here too.
 */
const TOKEN_LIKE = /\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}/g;
export const maskTokens = (text: string) => text.replace(TOKEN_LIKE, "<token>");

function itemOf(it: KeptItem): AgentStateItem {
  const out: AgentStateItem = { kind: it.kind, service: it.service, failing: it.failing, failuresTotal: it.failuresTotal };
  const expiresAt = iso(it.expiresAt);
  const renewedAt = iso(it.renewedAt);
  const nextAt = iso(it.nextAt);
  if (expiresAt) out.expiresAt = expiresAt;
  if (renewedAt) out.renewedAt = renewedAt;
  if (nextAt) out.nextAt = nextAt;
  if (it.lastError !== undefined) out.lastError = maskTokens(it.lastError);
  if (it.serial !== undefined) out.serial = it.serial;
  return out;
}

export function agentStateSnapshot(state: AgentState, at: { now: number; startedAt: number; stopped?: boolean }): AgentStateFile {
  const items = [...state.items.values()].map(itemOf).sort((a, b) => a.service.localeCompare(b.service) || a.kind.localeCompare(b.kind));
  return {
    version: AGENT_STATE_VERSION,
    writtenAt: new Date(at.now).toISOString(),
    startedAt: new Date(at.startedAt).toISOString(),
    heartbeatMs: AGENT_STATE_HEARTBEAT_MS,
    stopped: at.stopped ?? false,
    vault: { sealed: state.vaultSealed ?? null, ...(state.vaultError !== undefined ? { error: maskTokens(state.vaultError) } : {}) },
    items,
  };
}

/** 0600 in bootgate's own folder (the agent's, root's 0700 in compose), written atomically. */
export async function writeAgentStateFile(secretsDir: string, file: AgentStateFile): Promise<void> {
  await writeFileAtomic(agentStatePath(secretsDir), JSON.stringify(file, null, 2) + "\n", { mode: 0o600 });
}

export type ReadAgentState = { found: true; file: AgentStateFile } | { found: false; reason: string };

const isTime = (v: unknown) => v === undefined || (typeof v === "string" && !Number.isNaN(Date.parse(v)));
const KINDS: readonly string[] = ["certificate", "token", "jwt-key"];

function validItem(v: unknown): v is AgentStateItem {
  if (typeof v !== "object" || v === null) return false;
  const it = v as Record<string, unknown>;
  return (
    typeof it.kind === "string" &&
    KINDS.includes(it.kind) &&
    typeof it.service === "string" &&
    typeof it.failing === "number" &&
    typeof it.failuresTotal === "number" &&
    isTime(it.expiresAt) &&
    isTime(it.renewedAt) &&
    isTime(it.nextAt) &&
    (it.lastError === undefined || typeof it.lastError === "string")
  );
}

export function parseAgentStateFile(text: string): AgentStateFile | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  if (typeof v !== "object" || v === null) return "not a JSON object";
  const f = v as Record<string, unknown>;
  if (f.version !== AGENT_STATE_VERSION) return `version ${JSON.stringify(f.version)}, expected ${AGENT_STATE_VERSION}`;
  if (typeof f.writtenAt !== "string" || !isTime(f.writtenAt) || typeof f.startedAt !== "string" || !isTime(f.startedAt))
    return "writtenAt/startedAt not ISO times";
  if (typeof f.heartbeatMs !== "number" || typeof f.stopped !== "boolean") return "heartbeatMs/stopped missing";
  if (!Array.isArray(f.items) || !f.items.every(validItem)) return "items malformed";
  const vault = f.vault as Record<string, unknown> | undefined;
  if (typeof vault !== "object" || vault === null || !(vault.sealed === null || typeof vault.sealed === "boolean")) return "vault malformed";
  return v as AgentStateFile;
}

export async function readAgentStateFile(secretsDir: string): Promise<ReadAgentState> {
  const path = agentStatePath(secretsDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { found: false, reason: code === "ENOENT" ? `no ${path}` : `${path} unreadable (${code ?? "error"})` };
  }
  const parsed = parseAgentStateFile(text);
  return typeof parsed === "string" ? { found: false, reason: `${path}: ${parsed}` } : { found: true, file: parsed };
}

/** Stale: the agent said it stopped, or missed more than two heartbeats. */
export function agentStateIsStale(file: AgentStateFile, now: number): boolean {
  return file.stopped || now - Date.parse(file.writtenAt) > 2 * file.heartbeatMs + 30_000;
}
