// `bootgate status` for the agent: per service and kind (certificate, token, jwt-key) when it
// runs out, the last renewal, the next one and the last error, from the agent's state file
// (src/agent/agent-state-file.ts). A file the agent has not refreshed for two heartbeats is
// shown as what it is: the state of an agent that is not running, from that time.
import { agentStateIsStale, readAgentStateFile, type AgentStateFile, type ReadAgentState } from "../agent/agent-state-file.js";
import type { StatusProvider, StatusSection } from "./section.js";

function span(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : s < 172_800 ? `${Math.round(s / 3600)} h` : `${Math.round(s / 86_400)} d`;
}

function relative(iso: string | undefined, now: number): string {
  if (iso === undefined) return "-";
  const ms = Date.parse(iso) - now;
  return `${iso} (${ms >= 0 ? `in ${span(ms)}` : `${span(ms)} ago`})`;
}

function titleOf(file: AgentStateFile, now: number): string {
  const vault =
    file.vault.sealed === null ? `vault unknown${file.vault.error ? `: ${file.vault.error}` : ""}` : file.vault.sealed ? "vault sealed" : "vault unsealed";
  if (file.stopped) return `agent not running (it stopped); state from ${file.writtenAt}`;
  if (agentStateIsStale(file, now)) return `agent not running (no word for ${span(now - Date.parse(file.writtenAt))}); state from ${file.writtenAt}`;
  return `agent running since ${file.startedAt}; state from ${file.writtenAt}; ${vault}`;
}

export function agentSection(read: ReadAgentState, now: number): StatusSection {
  const columns = ["service", "kind", "expires", "last renewal", "next renewal", "last error"];
  if (!read.found) return { key: "agent", title: `agent not running (${read.reason})`, columns, rows: [], data: { running: false, reason: read.reason } };
  const { file } = read;
  const running = !agentStateIsStale(file, now);
  return {
    key: "agent",
    title: titleOf(file, now),
    columns,
    rows: file.items.map((it) => [
      it.service,
      it.kind,
      relative(it.expiresAt, now),
      relative(it.renewedAt, now),
      // An agent that is not running renews nothing: its plan is history, not a promise.
      running ? relative(it.nextAt, now) : `- (was ${it.nextAt ?? "-"})`,
      it.lastError === undefined ? "-" : `${it.lastError}${it.failing > 1 ? ` (${it.failing} tries)` : ""}`,
    ]),
    data: { running, ...file },
  };
}

export const agentStatus: StatusProvider = async (config) => agentSection(await readAgentStateFile(config.secretsDir), Date.now());
