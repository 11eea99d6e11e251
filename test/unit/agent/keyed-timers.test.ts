// KeyedTimers with a fake clock: a retry can be run early (Vault came back), a plain renewal
// timer cannot, and a retry that ran or was replaced by a renewal is no longer a retry.
import { describe, expect, it } from "vitest";
import { type Clock, KeyedTimers } from "../../../src/agent/keyed-timers.js";

function fakeClock() {
  let now = 1_000_000;
  const pending = new Map<number, { at: number; fn: () => void }>();
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.set(++next, { at: now + ms, fn });
      return next;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [h, t] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now) {
        pending.delete(h);
        t.fn();
      }
    }
  };
  return { clock, advance };
}

describe("KeyedTimers retries", () => {
  it("should run every waiting retry within the spread when hurried, and leave renewal timers where they were", () => {
    const fake = fakeClock();
    const timers = new KeyedTimers(fake.clock);
    const ran: string[] = [];
    timers.retry("certificate/a", fake.clock.now() + 300_000, () => ran.push("a"));
    timers.retry("token/b", fake.clock.now() + 120_000, () => ran.push("b"));
    timers.at("certificate/c", fake.clock.now() + 60_000, () => ran.push("c"));
    expect(timers.retrying).toBe(2);

    expect(timers.hurryRetries(1_000, () => 0.5)).toBe(2);
    fake.advance(1_000);
    expect(ran.sort()).toEqual(["a", "b"]);
    expect(timers.retrying).toBe(0);
    fake.advance(59_000);
    expect(ran).toContain("c");
  });

  it("should tell each hurried retry its new time", () => {
    const fake = fakeClock();
    const timers = new KeyedTimers(fake.clock);
    const moved: number[] = [];
    timers.retry(
      "certificate/a",
      fake.clock.now() + 300_000,
      () => {},
      (at) => moved.push(at),
    );
    timers.hurryRetries(1_000, () => 0.25);
    expect(moved).toEqual([fake.clock.now() + 250]);
  });

  it("should forget a retry once a renewal timer replaced it or it was cancelled", () => {
    const fake = fakeClock();
    const timers = new KeyedTimers(fake.clock);
    const ran: string[] = [];
    timers.retry("certificate/a", fake.clock.now() + 10_000, () => ran.push("retry"));
    timers.at("certificate/a", fake.clock.now() + 500_000, () => ran.push("renewal"));
    timers.retry("token/b", fake.clock.now() + 10_000, () => ran.push("b"));
    timers.cancel("token/b");
    expect(timers.retrying).toBe(0);
    expect(timers.hurryRetries(1_000)).toBe(0);
    fake.advance(20_000);
    expect(ran).toEqual([]);
  });
});
