import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { AgentState } from "../../../src/agent/agent-state.js";
import {
  AGENT_STATE_HEARTBEAT_MS,
  agentStateIsStale,
  agentStateSnapshot,
  maskTokens,
  readAgentStateFile,
  writeAgentStateFile,
} from "../../../src/agent/agent-state-file.js";
import { AGENT_STATE_DEBOUNCE_MS, agentStateWriter } from "../../../src/agent/agent-state-writer.js";
import type { Clock } from "../../../src/agent/keyed-timers.js";
import { agentStatePath, bootgateDir } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

const T0 = Date.UTC(2026, 0, 1, 12);

function fakeClock() {
  let now = T0;
  const pending: { at: number; fn: () => void; id: number }[] = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => (pending.push({ at: now + ms, fn, id: ++next }), next),
    clearTimeout: (id) => {
      const i = pending.findIndex((p) => p.id === id);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  /** Runs every timer due by `to`, in order. */
  const advance = (to: number) => {
    for (;;) {
      pending.sort((a, b) => a.at - b.at);
      const t = pending[0];
      if (!t || t.at > to) break;
      pending.shift();
      now = t.at;
      t.fn();
    }
    now = to;
  };
  return { clock, advance, pending };
}

function sampleState(): AgentState {
  const state = new AgentState();
  state.vaultSealed = false;
  state.succeeded("certificate", "core-data", { expiresAt: T0 + 90_000, renewed: true, nextAt: T0 + 60_000, serial: "0a1b" }, T0);
  state.failed("token", "core-data", "HTTP 403 for hvs.CAESIJ0123456789abcdefghijklmnop: permission denied", T0 + 5_000);
  state.item("jwt-key", "gateway/jwt");
  return state;
}

describe("the agent's state file", () => {
  it("should round-trip what the agent keeps: times, serial, last error, the seal", async () => {
    await using dir = await tempDir();
    await mkdir(bootgateDir(dir.path), { recursive: true });
    const written = agentStateSnapshot(sampleState(), { now: T0 + 1_000, startedAt: T0 });
    await writeAgentStateFile(dir.path, written);
    const read = await readAgentStateFile(dir.path);
    expect(read).toEqual({ found: true, file: written });
    if (!read.found) return;
    expect(read.file.items.map((i) => `${i.service}/${i.kind}`)).toEqual(["core-data/certificate", "core-data/token", "gateway/jwt/jwt-key"]);
    const cert = read.file.items[0]!;
    expect(cert).toMatchObject({ renewedAt: new Date(T0).toISOString(), nextAt: new Date(T0 + 60_000).toISOString(), serial: "0a1b", failing: 0 });
    expect(read.file.items[1]).toMatchObject({ failing: 1, failuresTotal: 1, nextAt: new Date(T0 + 5_000).toISOString() });
    expect(read.file.vault).toEqual({ sealed: false });
    expect(read.file.stopped).toBe(false);
  });

  it("should write 0600, atomically (no temporary left), and never a token even when an error quotes one", async () => {
    await using dir = await tempDir();
    await mkdir(bootgateDir(dir.path), { recursive: true });
    await writeAgentStateFile(dir.path, agentStateSnapshot(sampleState(), { now: T0, startedAt: T0 }));
    expect((await stat(agentStatePath(dir.path))).mode & 0o777).toBe(0o600);
    expect((await readdir(bootgateDir(dir.path))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    const text = await readFile(agentStatePath(dir.path), "utf8");
    expect(text).not.toContain("hvs.CAESIJ0123456789");
    expect(text).toContain("HTTP 403 for <token>: permission denied");
    expect(maskTokens("s.abcdefghijklmnopqrstuvwx and hvb.AAAAAAAAAAAAAAAAAAAAAAAA")).toBe("<token> and <token>");
  });

  it("should say why there is no state: no file, not JSON, a field wrong", async () => {
    await using dir = await tempDir();
    const missing = await readAgentStateFile(dir.path);
    expect(missing).toEqual({ found: false, reason: `no ${agentStatePath(dir.path)}` });
    await mkdir(bootgateDir(dir.path), { recursive: true });
    await writeFile(agentStatePath(dir.path), "{");
    expect(await readAgentStateFile(dir.path)).toEqual({ found: false, reason: `${agentStatePath(dir.path)}: not JSON` });
    const good = agentStateSnapshot(sampleState(), { now: T0, startedAt: T0 });
    await writeFile(agentStatePath(dir.path), JSON.stringify({ ...good, items: [{ kind: "password", service: "x", failing: 0, failuresTotal: 0 }] }));
    expect(await readAgentStateFile(dir.path)).toEqual({ found: false, reason: `${agentStatePath(dir.path)}: items malformed` });
    await writeFile(agentStatePath(dir.path), JSON.stringify({ ...good, version: 9 }));
    expect(await readAgentStateFile(dir.path)).toEqual({ found: false, reason: `${agentStatePath(dir.path)}: version 9, expected 1` });
  });

  it("should be stale once stopped or after two missed heartbeats, not before", () => {
    const file = agentStateSnapshot(new AgentState(), { now: T0, startedAt: T0 });
    expect(agentStateIsStale(file, T0 + 2 * AGENT_STATE_HEARTBEAT_MS)).toBe(false);
    expect(agentStateIsStale(file, T0 + 3 * AGENT_STATE_HEARTBEAT_MS)).toBe(true);
    expect(agentStateIsStale({ ...file, stopped: true }, T0)).toBe(true);
  });
});

describe("the agent's state writer", () => {
  it("should write at start, once per burst of changes, on each heartbeat, and a last time marked stopped", async () => {
    const fake = fakeClock();
    const state = new AgentState();
    const writes: { at: number; items: number; stopped: boolean }[] = [];
    const writer = agentStateWriter({
      secretsDir: "/nowhere",
      state,
      clock: fake.clock,
      log: () => {},
      write: async (_dir, file) => void writes.push({ at: Date.parse(file.writtenAt), items: file.items.length, stopped: file.stopped }),
    });
    writer.start();
    await Promise.resolve();
    expect(writes).toEqual([{ at: T0, items: 0, stopped: false }]);
    // 500 renewals within the debounce window make one write.
    for (let i = 0; i < 500; i++) state.succeeded("certificate", `s${i}`, { expiresAt: T0 + 90_000, renewed: true, nextAt: T0 + 60_000 }, T0);
    fake.advance(T0 + AGENT_STATE_DEBOUNCE_MS);
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(2);
    expect(writes[1]).toEqual({ at: T0 + AGENT_STATE_DEBOUNCE_MS, items: 500, stopped: false });
    // Nothing changes: the heartbeat still writes.
    fake.advance(T0 + AGENT_STATE_HEARTBEAT_MS);
    await new Promise((r) => setImmediate(r));
    expect(writes.map((w) => w.at)).toEqual([T0, T0 + AGENT_STATE_DEBOUNCE_MS, T0 + AGENT_STATE_HEARTBEAT_MS]);
    await writer.stop();
    expect(writes.at(-1)).toEqual({ at: T0 + AGENT_STATE_HEARTBEAT_MS, items: 500, stopped: true });
    // Stopped: no timer left, and a change writes nothing more.
    expect(fake.pending).toEqual([]);
    state.failed("token", "s1", "down", T0);
    expect(fake.pending).toEqual([]);
  });

  it("should log a failed write once per run of failures and go on", async () => {
    const fake = fakeClock();
    const lines: string[] = [];
    let fail = true;
    let ok = 0;
    const writer = agentStateWriter({
      secretsDir: "/nowhere",
      state: new AgentState(),
      clock: fake.clock,
      log: (l) => lines.push(l),
      write: async () => {
        if (fail) throw new Error("ENOSPC");
        ok++;
      },
    });
    writer.start();
    for (let i = 1; i <= 3; i++) {
      fake.advance(T0 + i * AGENT_STATE_HEARTBEAT_MS);
      await new Promise((r) => setImmediate(r));
    }
    expect(lines).toEqual(["cannot write the state file for `bootgate status`: ENOSPC"]);
    fail = false;
    await writer.stop();
    expect(ok).toBe(1);
  });
});
