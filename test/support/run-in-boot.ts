// Stages run as `bootgate run` would, in a test's own stack: the first run of a boot, and later
// runs in the same boot (a rerun, a rotation), each with its events collected.
import type { Config } from "../../src/config/normalize.js";
import { beginBoot, openGate, readBoot } from "../../src/gates/gate-file.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import { runStages, type RunResult } from "../../src/runner/runner.js";
import type { Stage } from "../../src/runner/stage.js";

export type RunWithEvents = RunResult & { events: RunnerEvent[] };

/** A new boot: `onGate` runs after each gate opens (start OpenBao on pki-ready, say). */
export async function runNewBoot(config: Config, stages: Stage[], onGate: (gate: string) => Promise<void> = async () => {}): Promise<RunWithEvents> {
  const { bootId } = await beginBoot(config.secretsDir);
  const events: RunnerEvent[] = [];
  const run = await runStages({
    stages,
    config,
    bootId,
    emit: (e) => events.push(e),
    openGate: async (gate, stage) => {
      await openGate(config.secretsDir, gate, bootId, stage);
      await onGate(gate);
    },
  });
  return { ...run, events };
}

/** Another run in the current boot, with short retries. */
export async function runInBoot(config: Config, stages: Stage[]): Promise<RunWithEvents> {
  const boot = await readBoot(config.secretsDir);
  if (!boot) throw new Error(`no boot in ${config.secretsDir}: run a boot first`);
  const events: RunnerEvent[] = [];
  const run = await runStages({
    stages,
    config,
    bootId: boot.bootId,
    emit: (e) => events.push(e),
    openGate: async (gate, stage) => void (await openGate(config.secretsDir, gate, boot.bootId, stage)),
    awaitExternalGate: async () => {},
    backoff: { baseMs: 10, capMs: 50 },
  });
  return { ...run, events };
}
