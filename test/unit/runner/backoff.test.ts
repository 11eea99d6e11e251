import { describe, expect, it } from "vitest";
import { backoffDelayMs } from "../../../src/runner/backoff.js";

describe("backoff", () => {
  const policy = { baseMs: 100, capMs: 1000 };
  it("should double the delay with each attempt", () => {
    expect(backoffDelayMs(1, policy, () => 1)).toBe(100);
    expect(backoffDelayMs(2, policy, () => 1)).toBe(200);
    expect(backoffDelayMs(3, policy, () => 1)).toBe(400);
  });
  it("should never exceed the cap", () => {
    expect(backoffDelayMs(30, policy, () => 1)).toBe(1000);
  });
  it("should keep half the delay fixed and jitter the other half", () => {
    expect(backoffDelayMs(3, policy, () => 0)).toBe(200);
    expect(backoffDelayMs(3, policy, () => 0.5)).toBe(300);
  });
});
