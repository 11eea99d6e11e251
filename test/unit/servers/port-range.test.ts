import { describe, expect, it } from "vitest";
import { portRange } from "../../../src/servers/free-port.js";

describe("the range free ports are picked from", () => {
  it("should run from 10000 to below the kernel's ephemeral range by default", () => {
    expect(portRange({}, 32768)).toEqual({ low: 10_000, high: 32_767 });
  });

  it("should leave the pick to the kernel when the ephemeral range leaves no room below it", () => {
    expect(portRange({}, 0)).toBeUndefined();
  });

  it("should keep to BOOTGATE_PORT_RANGE when given", () => {
    expect(portRange({ BOOTGATE_PORT_RANGE: "21000-32767" }, 32768)).toEqual({ low: 21_000, high: 32_767 });
  });

  it("should refuse a malformed or out-of-bounds BOOTGATE_PORT_RANGE, naming it", () => {
    for (const bad of ["21000", "a-b", "900-2000", "30000-20000", "10000-70000"]) {
      expect(() => portRange({ BOOTGATE_PORT_RANGE: bad }, 32768)).toThrow(/BOOTGATE_PORT_RANGE: expected LOW-HIGH/);
    }
  });
});
