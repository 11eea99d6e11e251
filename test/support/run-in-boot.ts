// Stages run as `bootgate run` would, in a test's own stack: the first run of a boot, and later
// runs in the same boot (a rerun, a rotation), each with its events collected.
import { type BootOptions, type BootRun, settleBoot } from "../../src/boot/run-boot.js";
import type { Config } from "../../src/config/normalize.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import type { Stage } from "../../src/runner/stage.js";

export type RunWithEvents = BootRun & { events: RunnerEvent[] };

/** The boot sequence with its events collected; a failed stage is in the result, not thrown. */
export async function collectBoot(options: Omit<BootOptions, "emit">): Promise<RunWithEvents> {
  const events: RunnerEvent[] = [];
  const run = await settleBoot({ ...options, emit: (e) => events.push(e) });
  return { ...run, events };
}

/** Gates a run in the current boot needs but does not open count as open. */
export const gatesCountAsOpen = async () => {};

/** A new boot: `onGate` runs after each gate opens (start OpenBao on pki-ready, say). */
export function runNewBoot(config: Config, stages: Stage[], onGate: (gate: string) => Promise<void> = async () => {}): Promise<RunWithEvents> {
  return collectBoot({ config, stages, boot: "begin", onGateOpen: onGate });
}

/** Another run in the current boot, with short retries. */
export function runInBoot(config: Config, stages: Stage[]): Promise<RunWithEvents> {
  return collectBoot({ config, stages, boot: "join", waitForGates: gatesCountAsOpen, backoff: { baseMs: 10, capMs: 50 } });
}
