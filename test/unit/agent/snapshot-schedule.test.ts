import { describe, expect, it } from "vitest";
import { type Clock, KeyedTimers } from "../../../src/agent/keyed-timers.js";
import { snapshotSchedule } from "../../../src/agent/snapshot-schedule.js";
import { parseConfig } from "../../support/config-text.js";

const T0 = Date.UTC(2026, 0, 1);

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
  const fireNext = () => {
    pending.sort((a, b) => a.at - b.at);
    const t = pending.shift();
    if (!t) throw new Error("no timer pending");
    now = Math.max(now, t.at);
    t.fn();
    return t.at;
  };
  return { clock, fireNext, pending };
}

const configWith = (snapshots: string) => parseConfig(`services:\n  - name: vault\nvault:\n  snapshots: ${snapshots}\n`);

async function metric(registry: import("prom-client").Registry, name: string): Promise<number | undefined> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (found?.values as { value: number }[] | undefined)?.[0]?.value;
}

describe("the agent's snapshot schedule", () => {
  it("should take one every `every`, recording the time and size of the last, and go on after a failure", async () => {
    const fake = fakeClock();
    const saves: number[] = [];
    let fail = false;
    const lines: string[] = [];
    const schedule = snapshotSchedule({
      config: configWith("{ every: 6h, keep: 3 }"),
      timers: new KeyedTimers(fake.clock),
      clock: fake.clock,
      log: (l) => lines.push(l),
      save: async (_c, now) => {
        if (fail) throw new Error("Vault at https://127.0.0.1:8200: connect ECONNREFUSED");
        saves.push(now.getTime());
        return { file: `/snap/${saves.length}.bgsnap`, bytes: 1000 + saves.length, pruned: [] };
      },
    });
    schedule.start();
    expect(await metric(schedule.registry, "bootgate_snapshot_last_success_timestamp_seconds")).toBe(0);
    expect(fake.fireNext()).toBe(T0 + 6 * 3_600_000);
    await schedule.idle();
    expect(saves).toEqual([T0 + 6 * 3_600_000]);
    expect(await metric(schedule.registry, "bootgate_snapshot_last_success_timestamp_seconds")).toBe((T0 + 6 * 3_600_000) / 1000);
    expect(await metric(schedule.registry, "bootgate_snapshot_size_bytes")).toBe(1001);

    fail = true;
    expect(fake.fireNext()).toBe(T0 + 12 * 3_600_000);
    await schedule.idle();
    expect(schedule.failures).toBe(1);
    expect(await metric(schedule.registry, "bootgate_snapshot_failures_total")).toBe(1);
    // The last success still stands; the failure is logged with its cause, and the next one is due.
    expect(await metric(schedule.registry, "bootgate_snapshot_last_success_timestamp_seconds")).toBe((T0 + 6 * 3_600_000) / 1000);
    expect(lines.at(-1)).toMatch(/snapshot failed .*ECONNREFUSED/);
    fail = false;
    expect(fake.fireNext()).toBe(T0 + 18 * 3_600_000);
    await schedule.idle();
    expect(saves).toHaveLength(2);
    expect(fake.pending).toHaveLength(1);
  });

  it("should schedule nothing without vault.snapshots.every", () => {
    const fake = fakeClock();
    const schedule = snapshotSchedule({
      config: configWith("{ keep: 3 }"),
      timers: new KeyedTimers(fake.clock),
      clock: fake.clock,
      log: () => {},
      save: () => Promise.reject(new Error("never")),
    });
    schedule.start();
    expect(fake.pending).toEqual([]);
  });
});
