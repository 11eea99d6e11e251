// bootgate run [--only <stage>] — the whole boot sequence, or one stage of it.
import { mkdir } from "node:fs/promises";
import { loadConfig } from "../config/load.js";
import { StageError, UsageError } from "../errors.js";
import { beginBoot, openGate, readBoot } from "../gates/gate-file.js";
import { installWaiterScript } from "../gates/install-waiter.js";
import { createReporter, pickReportMode } from "../runner/reporter.js";
import { DEFAULT_STAGE_TIMEOUT_MS, runStages } from "../runner/runner.js";
import { ALL_STAGES } from "../stages/all.js";
import { buildStages, type StageEntry } from "../stages/registry.js";
import { parse, secretsDirFlag } from "./options.js";

export const RUN_USAGE = "usage: bootgate run [--only <stage>] [--config FILE] [--secrets-dir DIR] [--json]";

export async function runCommandLine(argv: string[], entries: readonly StageEntry[] = ALL_STAGES): Promise<number> {
  const { values } = parse("run", argv, { only: { type: "string" } });
  if (values.help) {
    process.stdout.write(RUN_USAGE + "\n");
    return 0;
  }
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const stages = await buildStages(entries, config, values.only);
  const emit = createReporter(pickReportMode(values.json));
  const secretsDir = config.secretsDir;
  await mkdir(secretsDir, { recursive: true });

  // A full run, or a lone stage that needs nothing (the first init container), starts a boot;
  // any other lone stage joins the current boot and waits for what it needs.
  const startsBoot = values.only === undefined || stages.every((s) => s.needs.length === 0);
  let bootId: string;
  if (startsBoot) {
    bootId = (await beginBoot(secretsDir)).bootId;
    await installWaiterScript(secretsDir);
  } else {
    // Split init containers start together: wait (within the stage's budget) for what it needs.
    const needs = [...new Set(stages.flatMap((s) => s.needs))];
    const budgetMs = Math.max(...stages.map((s) => s.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS));
    const { waitForGates } = await import("../gates/wait-for-gates.js");
    await waitForGates({ secretsDir, gates: needs, timeoutMs: budgetMs });
    const boot = await readBoot(secretsDir);
    if (!boot) throw new UsageError(`bootgate run --only ${values.only}: no boot has started in ${secretsDir}`);
    bootId = boot.bootId;
  }

  const result = await runStages({
    stages,
    config,
    bootId,
    emit,
    openGate: async (gate, stage) => {
      await openGate(secretsDir, gate, bootId, stage);
    },
    ...(startsBoot
      ? {}
      : {
          awaitExternalGate: async (gate: string, signal: AbortSignal) => {
            const { waitForGates } = await import("../gates/wait-for-gates.js");
            await waitForGates({ secretsDir, gates: [gate], timeoutMs: 24 * 3_600_000, signal });
          },
        }),
  });
  if (!result.ok) throw result.failures[0] ?? new StageError(result.skipped[0] ?? "run", "skipped");
  return 0;
}
