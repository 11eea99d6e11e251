import { describe, expect, it } from "vitest";
import { awaitServed, type ProbeResult, type ProbeTarget } from "../../../src/gateway/gateway-probe.js";

const target = {} as ProbeTarget;
const answer = (generation: string) => ({ generation, fingerprint: "F" }) as ProbeResult;

/** A probe that answers `old` while the clock is in one of `oldAt` (ms since the start), else `new`. */
function probeWith(oldAt: [number, number][]) {
  const start = performance.now();
  const seen: string[] = [];
  const probe = async () => {
    await new Promise((r) => setTimeout(r, 5));
    const t = performance.now() - start;
    const g = oldAt.some(([a, b]) => t >= a && t < b) ? "old" : "new";
    seen.push(g);
    return answer(g);
  };
  return { probe, seen, elapsed: () => performance.now() - start };
}

const options = (probe: (t: ProbeTarget) => Promise<ProbeResult>, extra: object) => ({
  served: (s: ProbeResult) => s.generation === "new",
  describe: (s: ProbeResult) => `generation ${s.generation}`,
  what: "the new generation",
  timeoutMs: 5_000,
  probe,
  ...extra,
});

describe("waiting for a gateway to serve what was applied", () => {
  it("should with steadyMs go on asking until the answers in a row span that long, starting over at an old answer", async () => {
    // An old worker that still answers once, 150 ms in, after several quick new answers.
    const p = probeWith([[150, 160]]);
    await awaitServed(target, options(p.probe, { inARow: 3, steadyMs: 300 }));
    const lastOld = p.seen.lastIndexOf("old");
    expect(lastOld).toBeGreaterThan(2);
    // Returned only after a full window of new answers following the old one.
    expect(p.elapsed()).toBeGreaterThanOrEqual(150 + 300);
    expect(p.seen.slice(lastOld + 1).every((g) => g === "new")).toBe(true);
  });

  it("should without steadyMs return after inARow answers, before the old worker's late answer", async () => {
    const p = probeWith([[150, 160]]);
    await awaitServed(target, options(p.probe, { inARow: 3 }));
    expect(p.seen).toEqual(["new", "new", "new"]);
  });
});
