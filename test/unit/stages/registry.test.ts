import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { StageError, UsageError } from "../../../src/errors.js";
import { defineStage } from "../../../src/runner/define-stage.js";
import type { StageContext } from "../../../src/runner/stage.js";
import { buildStages, preflightStages } from "../../../src/stages/registry.js";

const configOf = (yaml: string) => parseConfigText(yaml, { source: "test.yaml", baseDir: "/tmp", env: {} });
const ctxFor = (config: ReturnType<typeof configOf>): StageContext => ({
  config,
  bootId: "b",
  log: { info: () => {} },
  signal: new AbortController().signal,
  handoff: new Map(),
});

function counted(name: string, extra: Partial<Parameters<typeof defineStage<string>>[0]> = {}) {
  const calls = { preflight: 0, runs: [] as string[] };
  const definition = defineStage({
    name,
    needs: [],
    opens: [`${name}-ready`],
    enabled: () => true,
    preflight: async (config) => {
      calls.preflight++;
      return `loaded for ${config.services.length} services`;
    },
    run: async (_ctx, prepared) => {
      calls.runs.push(prepared);
    },
    ...extra,
  });
  return { definition, calls };
}

describe("building stages from their definitions", () => {
  it("should hand what preflight loaded to every attempt of run, loading it once", async () => {
    const { definition, calls } = counted("a");
    const config = configOf("services: [{ name: x }]\n");
    const [stage] = await buildStages([definition], config);
    await stage!.run(ctxFor(config));
    await stage!.run(ctxFor(config));
    expect(calls.preflight).toBe(1);
    expect(calls.runs).toEqual(["loaded for 1 services", "loaded for 1 services"]);
  });

  it("should work out a stage's timeout from the config, and let the config's `stages:` map win", async () => {
    const own = counted("a", { timeoutMs: (config) => 1_000 * config.services.length, retries: 2 }).definition;
    const other = counted("b", { timeoutMs: 5 }).definition;
    const plain = await buildStages([own, other], configOf("services: [{ name: x }, { name: y }]\n"));
    expect(plain.map((s) => [s.timeoutMs, s.retries])).toEqual([
      [2_000, 2],
      [5, undefined],
    ]);
    const overridden = await buildStages([own, other], configOf("services: []\nstages:\n  a: { timeout: 3s, retries: 0 }\n  b: { retries: 7 }\n"));
    expect(overridden.map((s) => [s.timeoutMs, s.retries])).toEqual([
      [3_000, 0],
      [5, 7],
    ]);
  });

  it("should leave out disabled stages unless --only names one, and refuse an unknown name", async () => {
    const on = counted("on").definition;
    const off = counted("off", { enabled: () => false }).definition;
    const config = configOf("services: []\n");
    expect((await buildStages([on, off], config)).map((s) => s.name)).toEqual(["on"]);
    expect((await buildStages([on, off], config, "off")).map((s) => s.name)).toEqual(["off"]);
    await expect(buildStages([on, off], config, "nope")).rejects.toBeInstanceOf(UsageError);
  });

  it("should name the stage whose preflight refused", async () => {
    const bad = counted("bad", { preflight: async () => Promise.reject(new Error("no such file")) }).definition;
    const error = await preflightStages([counted("good").definition, bad], configOf("services: []\n")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).stage).toBe("bad");
  });
});
