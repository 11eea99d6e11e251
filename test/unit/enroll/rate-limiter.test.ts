import { describe, expect, it } from "vitest";
import { rateLimiter } from "../../../src/enroll/rate-limiter.js";

describe("the enrollment rate limiter", () => {
  it("should allow a burst up to the budget, then refuse, then refill over the window", () => {
    const limit = rateLimiter(3, 60_000);
    expect([1, 2, 3, 4].map(() => limit.take("10.0.0.1", 0))).toEqual([true, true, true, false]);
    // Another key has its own budget.
    expect(limit.take("10.0.0.2", 0)).toBe(true);
    expect(limit.take("10.0.0.1", 19_000)).toBe(false);
    expect(limit.take("10.0.0.1", 20_000)).toBe(true);
    expect(limit.take("10.0.0.1", 20_000)).toBe(false);
  });

  it("should forget keys that are full again, so idle sources cost no memory", () => {
    const limit = rateLimiter(2, 1_000);
    for (let i = 0; i < 100; i++) limit.take(`10.0.0.${i}`, 0);
    expect(limit.size).toBe(100);
    limit.take("10.0.1.1", 5_000);
    expect(limit.size).toBe(1);
  });
});
