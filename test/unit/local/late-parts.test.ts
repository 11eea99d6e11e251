// The parts of `up --local` that start on later gates: each when its own gates open, side by
// side; released waits start nothing; a part that fails is told at once and in the end.
import { describe, expect, it } from "vitest";
import { type GateWait, type LatePart, startLateParts } from "../../../src/local/late-parts.js";

/** Gates opened by hand: a wait resolves once all its gates are open, and rejects on its signal. */
function fakeGates() {
  const open = new Set<string>();
  const waiters: { gates: string[]; resolve: () => void }[] = [];
  const wait: GateWait = (gates, signal) =>
    new Promise<void>((resolve, reject) => {
      if (gates.every((g) => open.has(g))) return resolve();
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      waiters.push({ gates, resolve });
    });
  const openGate = (gate: string) => {
    open.add(gate);
    for (const w of waiters.filter((w) => w.gates.every((g) => open.has(g)))) w.resolve();
  };
  return { wait, openGate };
}

const tick = () => new Promise((r) => setImmediate(r));

function recordingPart(gates: string[], log: string[], name: string, fail?: Error): LatePart {
  return {
    gates,
    start: async () => {
      log.push(`start ${name}`);
      if (fail) throw fail;
    },
  };
}

describe("startLateParts", () => {
  it("should start each part when its own gates open, before the others' gates are open", async () => {
    const { wait, openGate } = fakeGates();
    const log: string[] = [];
    const late = startLateParts(
      [recordingPart(["gateway-ready"], log, "nginx"), recordingPart(["vault-ready", "db-ready"], log, "core-data")],
      wait,
      new AbortController().signal,
      () => log.push("failure"),
    );
    openGate("vault-ready");
    await tick();
    expect(log).toEqual([]);
    openGate("db-ready");
    await tick();
    expect(log).toEqual(["start core-data"]);
    openGate("gateway-ready");
    await late.started;
    expect(log).toEqual(["start core-data", "start nginx"]);
  });

  it("should start nothing more once released, and settle without an error", async () => {
    const { wait, openGate } = fakeGates();
    const log: string[] = [];
    const late = startLateParts([recordingPart(["db-ready"], log, "core-data")], wait, new AbortController().signal, () => log.push("failure"));
    late.release();
    await expect(late.started).resolves.toBeUndefined();
    openGate("db-ready");
    await tick();
    expect(log).toEqual([]);
  });

  it("should not take the boot's own abort for a part's failure", async () => {
    const { wait } = fakeGates();
    const log: string[] = [];
    const boot = new AbortController();
    const late = startLateParts([recordingPart(["db-ready"], log, "core-data")], wait, boot.signal, () => log.push("failure"));
    boot.abort(new Error("a stage failed"));
    await expect(late.started).resolves.toBeUndefined();
    expect(log).toEqual([]);
  });

  it("should tell a part that failed to start at once, and reject with it once the others are released", async () => {
    const { wait, openGate } = fakeGates();
    const failures: unknown[] = [];
    const log: string[] = [];
    const broken = new Error("nginx exited before it was ready");
    const late = startLateParts(
      [recordingPart(["gateway-ready"], log, "nginx", broken), recordingPart(["db-ready"], log, "core-data")],
      wait,
      new AbortController().signal,
      (error) => failures.push(error),
    );
    let settled = false;
    void late.started.catch(() => (settled = true));
    openGate("gateway-ready");
    await tick();
    expect(failures).toEqual([broken]);
    // core-data still waits on its gate: the result comes once the caller releases it.
    expect(settled).toBe(false);
    late.release();
    await expect(late.started).rejects.toBe(broken);
    expect(log).toEqual(["start nginx"]);
  });

  it("should report a wait that fails on its own (a timeout) as that part's failure", async () => {
    const timeout = new Error("timed out waiting for gateway-ready");
    const failing: GateWait = () => Promise.reject(timeout);
    const failures: unknown[] = [];
    const late = startLateParts([{ gates: ["gateway-ready"], start: async () => {} }], failing, new AbortController().signal, (e) => failures.push(e));
    await expect(late.started).rejects.toBe(timeout);
    expect(failures).toEqual([timeout]);
  });
});
