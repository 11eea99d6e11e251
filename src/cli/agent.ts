// bootgate agent [--config FILE]: runs until SIGTERM or SIGINT, then stops cleanly (exit 0).
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { parse, secretsDirFlag } from "./options.js";
import { catchStopSignals } from "./stop-signals.js";

export const AGENT_USAGE = "usage: bootgate agent [--config FILE] [--secrets-dir DIR]";

export async function agentCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("agent", argv, {}, true);
  if (values.help) {
    process.stdout.write(AGENT_USAGE + "\n");
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(`bootgate agent: expected no arguments, got ${positionals.map((p) => `\`${p}\``).join(" ")}\n${AGENT_USAGE}`);
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const stop = catchStopSignals();
  const { startAgent } = await import("../agent/run-agent.js");
  const agent = await startAgent(config, { signal: stop.signal });
  await agent.stopped;
  return 0;
}
