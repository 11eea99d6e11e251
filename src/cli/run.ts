// bootgate run [--only <stage>] — the whole boot sequence, or one stage of it.
import { runBoot } from "../boot/run-boot.js";
import { loadConfig } from "../config/load.js";
import type { AnyStageDefinition } from "../runner/define-stage.js";
import { createReporter, pickReportMode } from "../runner/reporter.js";
import { ALL_STAGES } from "../stages/all.js";
import { buildStages } from "../stages/registry.js";
import { parse, secretsDirFlag } from "./options.js";

export const RUN_USAGE = "usage: bootgate run [--only <stage>] [--config FILE] [--secrets-dir DIR] [--json]";

export async function runCommandLine(argv: string[], definitions: readonly AnyStageDefinition[] = ALL_STAGES): Promise<number> {
  const { values } = parse("run", argv, { only: { type: "string" } });
  if (values.help) {
    process.stdout.write(RUN_USAGE + "\n");
    return 0;
  }
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const stages = await buildStages(definitions, config, values.only);
  // A full run, or a lone stage that needs nothing (the first init container), starts a boot;
  // any other lone stage joins the current boot and waits for what it needs.
  const startsBoot = values.only === undefined || stages.every((s) => s.needs.length === 0);
  await runBoot({ config, stages, boot: startsBoot ? "begin" : "join", emit: createReporter(pickReportMode(values.json)) });
  return 0;
}
