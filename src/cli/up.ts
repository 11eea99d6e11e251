// bootgate up --local: the embedded default (or --config) as local processes, until Ctrl-C.
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { renderSummary } from "../local/up-summary.js";
import { upLocal } from "../local/up-local.js";
import { createReporter, pickReportMode } from "../runner/reporter.js";
import { parse, secretsDirFlag } from "./options.js";

export const UP_USAGE = "usage: bootgate up --local [--config FILE] [--secrets-dir DIR] [--json]";

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parse("up", argv, { local: { type: "boolean", default: false } });
  if (values.help) {
    process.stdout.write(UP_USAGE + "\n");
    return 0;
  }
  if (!values.local) throw new UsageError(`bootgate up: only --local is built in (Docker stacks run \`bootgate run\` as their init container)\n${UP_USAGE}`);
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const mode = pickReportMode(values.json);
  const say = (line: string) => (mode === "json" ? process.stdout.write(JSON.stringify({ type: "up-log", message: line }) + "\n") : process.stderr.write(line + "\n"));
  const stack = await upLocal(config, createReporter(mode), say);

  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  if (mode === "json") {
    process.stdout.write(JSON.stringify({ type: "up-ready", bootId: stack.bootId, gateway: stack.gatewayUrl, services: stack.services, stageTimes: stack.stageTimes }) + "\n");
  } else {
    process.stdout.write((await renderSummary(stack)) + "\n");
  }
  const signal = await stopped;
  say(`${signal}: stopping the stack`);
  await stack.stop();
  say("stopped; no process of the stack is left");
  return 0;
}
