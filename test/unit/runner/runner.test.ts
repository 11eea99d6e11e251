import { describe, expect, it } from "vitest";
import { StageError, TimeoutError, TransientError, UsageError } from "../../../src/errors.js";
import { runStages, validatePlan } from "../../../src/runner/runner.js";
import { runRecorded, stage, testConfig } from "../../support/fake-stage.js";

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe("staged runner: ordering", () => {
  it("should start a stage only after the stages that open its needs have finished", async () => {
    const order: string[] = [];
    const log = (n: string) => async () => void order.push(n);
    // Listed out of order on purpose: the gates decide, not the list.
    const { result, gates } = await runRecorded([
      stage("c", ["b-ready"], ["c-ready"], log("c")),
      stage("b", ["a-ready"], ["b-ready"], log("b")),
      stage("a", [], ["a-ready"], log("a")),
    ]);
    expect(result.ok).toBe(true);
    expect(order).toEqual(["a", "b", "c"]);
    expect(gates).toEqual(["a-ready", "b-ready", "c-ready"]);
  });

  it("should run independent stages concurrently", async () => {
    const both = { left: deferred(), right: deferred() };
    let running = 0;
    let peak = 0;
    const body = (mine: "left" | "right", other: "left" | "right") => async () => {
      running++;
      peak = Math.max(peak, running);
      both[mine].resolve();
      // Each waits for the other to have started: this only finishes if they overlap.
      await both[other].promise;
      running--;
    };
    const { result } = await runRecorded([
      stage("root", [], ["root-ready"]),
      stage("left", ["root-ready"], ["left-ready"], body("left", "right")),
      stage("right", ["root-ready"], ["right-ready"], body("right", "left")),
    ]);
    expect(result.ok).toBe(true);
    expect(peak).toBe(2);
  });

  it("should refuse a stage that needs a gate no stage opens", () => {
    expect(() => validatePlan([stage("a", ["ghost"], [])], false)).toThrow(UsageError);
    expect(() => validatePlan([stage("a", ["ghost"], [])], false)).toThrow(/`a` needs gate `ghost`/);
  });

  it("should refuse stages that wait on each other in a cycle, naming it", () => {
    expect(() => validatePlan([stage("a", ["b-ready"], ["a-ready"]), stage("b", ["a-ready"], ["b-ready"])], false)).toThrow(/cycle: a → b → a/);
  });

  it("should refuse two stages opening the same gate", () => {
    expect(() => validatePlan([stage("a", [], ["g"]), stage("b", [], ["g"])], false)).toThrow(/opened by both/);
  });

  it("should hand values from one stage to a later one in the same run", async () => {
    let seen: unknown;
    await runRecorded([
      stage("a", [], ["a-ready"], async (ctx) => ctx.handoff.set("x", 42)),
      stage("b", ["a-ready"], [], async (ctx) => (seen = ctx.handoff.get("x"))),
    ]);
    expect(seen).toBe(42);
  });
});

describe("staged runner: failing closed", () => {
  it("should open no gate of a failed stage and never start its dependents", async () => {
    let dependentRan = false;
    const { result, gates, events } = await runRecorded([
      stage("a", [], ["a-ready"], async () => {
        throw new Error("disk on fire");
      }),
      stage("b", ["a-ready"], ["b-ready"], async () => void (dependentRan = true)),
    ]);
    expect(result.ok).toBe(false);
    expect(gates).toEqual([]);
    expect(dependentRan).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toBeInstanceOf(StageError);
    expect(result.failures[0]!.message).toBe("stage a failed: disk on fire");
    expect(result.skipped).toEqual(["b"]);
    expect(events.some((e) => e.type === "stage-skipped" && e.stage === "b")).toBe(true);
  });

  it("should still finish stages that do not depend on the failed one", async () => {
    const { result, gates } = await runRecorded([
      stage("bad", [], ["bad-ready"], async () => {
        throw new Error("no");
      }),
      stage("good", [], ["good-ready"]),
    ]);
    expect(result.ok).toBe(false);
    expect(gates).toEqual(["good-ready"]);
  });

  it("should not open a stage's gates when opening an earlier gate of it fails", async () => {
    const opened: string[] = [];
    const result = await runStages({
      stages: [stage("a", [], ["one", "two"])],
      config: testConfig(),
      bootId: "b",
      emit: () => {},
      openGate: async (gate) => {
        if (gate === "one") throw new Error("ENOSPC");
        opened.push(gate);
      },
    });
    expect(result.ok).toBe(false);
    expect(opened).toEqual([]);
  });
});

describe("staged runner: timeouts and retries", () => {
  it("should fail a stage that never finishes once its timeout runs out, naming it", async () => {
    const { result, gates } = await runRecorded([stage("stuck", [], ["stuck-ready"], () => new Promise(() => {}), { timeoutMs: 0 })]);
    expect(result.ok).toBe(false);
    expect(gates).toEqual([]);
    expect(result.failures[0]!.reason).toBeInstanceOf(TimeoutError);
    expect(result.failures[0]!.message).toMatch(/stage stuck failed: timed out after 0ms waiting for stage stuck/);
  });

  it("should abort the stage's signal when it times out", async () => {
    let aborted = false;
    await runRecorded([
      stage(
        "slow",
        [],
        [],
        (ctx) =>
          new Promise<void>((resolve) =>
            ctx.signal.addEventListener("abort", () => {
              aborted = true;
              resolve();
            }),
          ),
        { timeoutMs: 1 },
      ),
    ]);
    expect(aborted).toBe(true);
  });

  it("should retry a transient failure and then succeed", async () => {
    let attempts = 0;
    const { result, events, gates } = await runRecorded([
      stage(
        "flaky",
        [],
        ["flaky-ready"],
        async () => {
          attempts++;
          if (attempts < 3) throw new TransientError("connection refused");
        },
        { retries: 5 },
      ),
    ]);
    expect(result.ok).toBe(true);
    expect(attempts).toBe(3);
    expect(events.filter((e) => e.type === "stage-retry")).toHaveLength(2);
    expect(gates).toEqual(["flaky-ready"]);
  });

  it("should give up after the configured number of retries", async () => {
    let attempts = 0;
    const { result } = await runRecorded([
      stage(
        "down",
        [],
        ["down-ready"],
        async () => {
          attempts++;
          throw new TransientError("connection refused");
        },
        { retries: 2 },
      ),
    ]);
    expect(result.ok).toBe(false);
    expect(attempts).toBe(3);
    expect(result.failures[0]!.message).toContain("connection refused");
  });

  it("should not retry a failure that is not transient", async () => {
    let attempts = 0;
    const { result } = await runRecorded([
      stage(
        "broken",
        [],
        [],
        async () => {
          attempts++;
          throw new Error("permission denied");
        },
        { retries: 5 },
      ),
    ]);
    expect(result.ok).toBe(false);
    expect(attempts).toBe(1);
  });

  it("should report each finished stage with its duration", async () => {
    const { events } = await runRecorded([stage("a", [], ["a-ready"], async () => ({ summary: "did it" }))]);
    const done = events.find((e) => e.type === "stage-done");
    expect(done).toMatchObject({ stage: "a", opened: ["a-ready"], summary: "did it" });
    expect(typeof (done as { durationMs: number }).durationMs).toBe("number");
  });

  it("should wait for gates from outside the run when allowed, within the stage's timeout", async () => {
    const { result } = await runRecorded([stage("late", ["elsewhere"], [], async () => {}, { timeoutMs: 0 })], {
      awaitExternalGate: () => new Promise(() => {}),
    });
    expect(result.ok).toBe(false);
    expect(result.failures[0]!.message).toMatch(/timed out .* gates elsewhere/);
  });
});
