import { describe, expect, it } from "vitest";
import { AgentState } from "../../../src/agent/agent-state.js";
import { AGENT_STATE_HEARTBEAT_MS, agentStateSnapshot } from "../../../src/agent/agent-state-file.js";
import { agentSection } from "../../../src/status/agent-status.js";
import { renderTable } from "../../../src/status/table.js";

const T0 = Date.UTC(2026, 0, 1, 12);
const at = (ms: number) => new Date(ms).toISOString();

function state() {
  const s = new AgentState();
  s.vaultSealed = false;
  s.succeeded("certificate", "core-data", { expiresAt: T0 + 90_000, renewed: true, nextAt: T0 + 60_000, serial: "0a" }, T0 - 30_000);
  s.failed("token", "core-data", "vault at https://vault:8200: connect ECONNREFUSED", T0 + 20_000);
  s.failed("token", "core-data", "vault at https://vault:8200: connect ECONNREFUSED", T0 + 40_000);
  return s;
}

describe("bootgate status: the agent's section", () => {
  it("should show per service and kind the expiry, the last and next renewal and the last error", () => {
    const file = agentStateSnapshot(state(), { now: T0, startedAt: T0 - 3_600_000 });
    const section = agentSection({ found: true, file }, T0 + 5_000);
    expect(section.title).toBe(`agent running since ${at(T0 - 3_600_000)}; state from ${at(T0)}; vault unsealed`);
    expect(section.columns).toEqual(["service", "kind", "expires", "last renewal", "next renewal", "last error"]);
    expect(section.rows).toEqual([
      ["core-data", "certificate", `${at(T0 + 90_000)} (in 85 s)`, `${at(T0 - 30_000)} (35 s ago)`, `${at(T0 + 60_000)} (in 55 s)`, "-"],
      ["core-data", "token", "-", "-", `${at(T0 + 40_000)} (in 35 s)`, "vault at https://vault:8200: connect ECONNREFUSED (2 tries)"],
    ]);
    expect(section.data).toMatchObject({ running: true, items: file.items });
    const text = renderTable(section.columns, section.rows);
    expect(text.split("\n")[0]).toMatch(/^service\s+kind\s+expires\s+last renewal\s+next renewal\s+last error$/);
  });

  it("should say the agent is not running and from when the state is, once the agent stopped or went quiet", () => {
    const file = agentStateSnapshot(state(), { now: T0, startedAt: T0 });
    const stopped = agentSection({ found: true, file: { ...file, stopped: true } }, T0 + 1_000);
    expect(stopped.title).toBe(`agent not running (it stopped); state from ${at(T0)}`);
    // A stopped agent renews nothing: the next renewal is shown as what was planned.
    expect(stopped.rows[0]![4]).toBe(`- (was ${at(T0 + 60_000)})`);
    const quiet = agentSection({ found: true, file }, T0 + 5 * AGENT_STATE_HEARTBEAT_MS);
    expect(quiet.title).toBe(`agent not running (no word for 5 min); state from ${at(T0)}`);
    expect(quiet.data).toMatchObject({ running: false });
  });

  it("should say why when there is no state file", () => {
    const section = agentSection({ found: false, reason: "no /secrets/bootgate/agent-state.json" }, T0);
    expect(section.title).toBe("agent not running (no /secrets/bootgate/agent-state.json)");
    expect(section.rows).toEqual([]);
    expect(section.data).toEqual({ running: false, reason: "no /secrets/bootgate/agent-state.json" });
  });
});
