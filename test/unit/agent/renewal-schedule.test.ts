import { describe, expect, it } from "vitest";
import { KeyedTimers, MAX_TIMEOUT_MS, type Clock } from "../../../src/agent/keyed-timers.js";
import { leafDueAt, leafRenewalAt, retryDelayMs, tokenRenewalAt } from "../../../src/agent/renewal-schedule.js";

const T0 = Date.UTC(2026, 0, 1);
const leaf = (lifetimeMs: number, start = T0) => ({ notBefore: new Date(start), notAfter: new Date(start + lifetimeMs) });

describe("when a leaf is renewed", () => {
  it("should fall due at notAfter - renewBefore", () => {
    expect(leafDueAt(leaf(90_000), 60_000)).toBe(T0 + 30_000);
  });

  it("should fall due at 2/3 of the lifetime when renewBefore is unset", () => {
    expect(leafDueAt(leaf(90_000), undefined)).toBe(T0 + 60_000);
  });

  it("should renew an expired leaf (or one due already) at once", () => {
    expect(leafRenewalAt(leaf(90_000), 60_000, T0 + 200_000, () => 0.9)).toBe(T0 + 200_000);
    expect(leafRenewalAt(leaf(90_000), 60_000, T0 + 30_000, () => 0.9)).toBe(T0 + 30_000);
  });

  it("should jitter earlier only, by at most 5% of the renewal window and a minute", () => {
    const at = (r: number) => leafRenewalAt(leaf(90 * 86_400_000), 15 * 86_400_000, T0, () => r);
    const due = T0 + 75 * 86_400_000;
    expect(at(0)).toBe(due);
    expect(at(1)).toBe(due - 60_000);
    const short = (r: number) => leafRenewalAt(leaf(90_000), 60_000, T0, () => r);
    expect(short(1)).toBe(T0 + 30_000 - 3_000);
  });

  it("should spread 500 leaves issued in the same second over distinct times", () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const times = new Set(Array.from({ length: 500 }, () => Math.floor(leafRenewalAt(leaf(90 * 86_400_000), undefined, T0, random) / 1000)));
    expect(times.size).toBeGreaterThan(50);
  });
});

describe("when a token is renewed and a failure retried", () => {
  it("should renew a token with 45-55% of its TTL left", () => {
    expect(tokenRenewalAt(60_000, T0, () => 0)).toBe(T0 + 27_000);
    expect(tokenRenewalAt(60_000, T0, () => 1)).toBe(T0 + 33_000);
  });

  it("should back off exponentially, capped at 5 minutes", () => {
    expect(retryDelayMs(1, () => 1)).toBe(1_000);
    expect(retryDelayMs(3, () => 1)).toBe(4_000);
    expect(retryDelayMs(30, () => 1)).toBe(300_000);
    expect(retryDelayMs(30, () => 0)).toBe(150_000);
  });
});

describe("KeyedTimers", () => {
  const fakeClock = () => {
    let now = T0;
    const pending: { at: number; fn: () => void; id: number }[] = [];
    let next = 0;
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => {
        pending.push({ at: now + ms, fn, id: ++next });
        return next;
      },
      clearTimeout: (id) => {
        const i = pending.findIndex((p) => p.id === id);
        if (i >= 0) pending.splice(i, 1);
      },
    };
    const advance = (ms: number) => {
      now += ms;
      for (;;) {
        pending.sort((a, b) => a.at - b.at);
        if (!pending[0] || pending[0].at > now) return;
        pending.shift()!.fn();
      }
    };
    return { clock, advance, pending };
  };

  it("should replace what was scheduled under the same key", () => {
    const { clock, advance } = fakeClock();
    const timers = new KeyedTimers(clock);
    const ran: string[] = [];
    timers.at("a", T0 + 1000, () => ran.push("first"));
    timers.at("a", T0 + 2000, () => ran.push("second"));
    advance(5000);
    expect(ran).toEqual(["second"]);
    expect(timers.size).toBe(0);
  });

  it("should reach a time further than setTimeout can hold in hops", () => {
    const { clock, advance, pending } = fakeClock();
    const timers = new KeyedTimers(clock);
    let ran = false;
    timers.at("leaf", T0 + 75 * 86_400_000, () => (ran = true));
    expect(pending[0]!.at - T0).toBe(MAX_TIMEOUT_MS);
    advance(MAX_TIMEOUT_MS);
    expect(ran).toBe(false);
    advance(75 * 86_400_000 - MAX_TIMEOUT_MS);
    expect(ran).toBe(true);
  });

  it("should run nothing after cancelAll", () => {
    const { clock, advance } = fakeClock();
    const timers = new KeyedTimers(clock);
    let ran = 0;
    timers.at("a", T0 + 10, () => ran++);
    timers.at("b", T0 + 20, () => ran++);
    timers.cancelAll();
    advance(100);
    expect(ran).toBe(0);
  });
});
