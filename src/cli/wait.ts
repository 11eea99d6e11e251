// bootgate wait <gate>… [--timeout 60s] [-- cmd args…]
// Kept free of heavy imports: it runs in every service container, before the container's own
// command, and its wake-up is the latency users feel. When the gates are already open (a
// container restarted, a service started late) nothing but node:child_process is loaded: the
// gate files are read synchronously and the command is spawned; chokidar (the watch) loads only
// while a gate is still closed (bench/cold.mjs measures the open-gate path).
import { resolve } from "node:path";
import { formatMs, UsageError } from "../errors.js";
import { gateIsCurrent, type GateRecord, isGateName, readBootSync, readGateSync } from "../gates/gate-file.js";
import { runCommand, warmUpCommandRunner } from "../gates/run-command.js";
import { durationFlag, parse } from "./options.js";

export const WAIT_USAGE = "usage: bootgate wait <gate>... [--timeout 60s] [--secrets-dir DIR] [-- command args...]";

export async function waitCommand(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parse("wait", own, { timeout: { type: "string" } }, true);
  if (values.help) {
    process.stdout.write(WAIT_USAGE + "\n");
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`bootgate wait: name at least one gate\n${WAIT_USAGE}`);
  const bad = positionals.filter((g) => !isGateName(g));
  if (bad.length) throw new UsageError(`bootgate wait: expected gate names (lowercase letters, digits, '-'), got ${bad.map((b) => `\`${b}\``).join(", ")}`);
  if (split !== -1 && command.length === 0) throw new UsageError("bootgate wait: expected a command after `--`");
  const timeoutMs = durationFlag("timeout", values.timeout, 60_000);
  // The waiter needs only the secrets folder: it does not read (or need) the stack's config.
  // With --config it reads the folder from there (loaded lazily, to keep the common path light).
  let secretsDir = values["secrets-dir"] ?? process.env.BOOTGATE_SECRETS_DIR;
  if (secretsDir === undefined && (values.config ?? process.env.BOOTGATE_CONFIG)) {
    const { loadConfig } = await import("../config/load.js");
    secretsDir = (await loadConfig({ file: values.config })).secretsDir;
  }
  secretsDir = resolve(secretsDir ?? "./secrets-volume");
  const open = openGates(secretsDir, positionals);
  // While the gates are still closed, warm up what runs the command (see run-command.ts).
  const warm = open === undefined && command.length > 0 ? warmUpCommandRunner() : undefined;
  const records = open ?? (await watchForGates(secretsDir, positionals, timeoutMs));
  if (values.json) process.stdout.write(JSON.stringify({ open: records }) + "\n");
  if (command.length === 0) return 0;
  await warm;
  return runCommand(command[0]!, command.slice(1));
}

/** Waits for gates still closed, watching with chokidar (loaded only here). */
async function watchForGates(secretsDir: string, gates: string[], timeoutMs: number): Promise<GateRecord[]> {
  const { waitForGates } = await import("../gates/wait-for-gates.js");
  return waitForGates({
    secretsDir,
    gates,
    timeoutMs,
    // One line in the container's log says what it is waiting for.
    onWaiting: (missing) => process.stderr.write(`bootgate wait: waiting for ${missing.join(", ")} in ${secretsDir} (timeout ${formatMs(timeoutMs)})\n`),
  });
}

/** The gates' records when every one is open for the current boot already, else undefined. */
function openGates(secretsDir: string, gates: string[]): GateRecord[] | undefined {
  const boot = readBootSync(secretsDir);
  const records = gates.map((g) => readGateSync(secretsDir, g));
  return records.every((r) => gateIsCurrent(r, boot)) ? (records as GateRecord[]) : undefined;
}
