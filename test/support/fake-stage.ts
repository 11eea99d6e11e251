import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import { runStages, type RunnerOptions } from "../../src/runner/runner.js";
import type { Stage, StageContext, StageOutcome } from "../../src/runner/stage.js";

export const testConfig = (): Config => parseConfigText("services: []\n", { source: "test.yaml", baseDir: "/tmp", env: {} });

export function stage(
  name: string,
  needs: string[],
  opens: string[],
  run: (ctx: StageContext) => Promise<StageOutcome | unknown> = async () => {},
  extra: Partial<Stage> = {},
): Stage {
  return {
    name,
    needs,
    opens,
    run: async (ctx) => {
      const out = await run(ctx);
      return typeof out === "object" && out !== null && "summary" in out ? (out as StageOutcome) : undefined;
    },
    ...extra,
  };
}

/** Runs stages with an in-memory gate list and a recorded event stream. */
export async function runRecorded(stages: Stage[], options: Partial<RunnerOptions> = {}) {
  const events: RunnerEvent[] = [];
  const gates: string[] = [];
  const result = await runStages({
    stages,
    config: testConfig(),
    bootId: "boot-1",
    emit: (e) => events.push(e),
    openGate: async (gate) => {
      gates.push(gate);
    },
    backoff: { baseMs: 1, capMs: 4 },
    ...options,
  });
  return { result, events, gates };
}
