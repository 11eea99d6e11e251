// bootgate wait <gate>… [--timeout 60s] [-- cmd args…]
// Kept free of heavy imports: it runs in every service container, before the container's own
// command, and its wake-up is the latency users feel. When the gates are already open (a
// container restarted, a service started late) nothing but node:child_process is loaded: the
// gate files are read synchronously and the command is spawned; chokidar (the watch) loads only
// while a gate is still closed (bench/cold.mjs measures the open-gate path).
import { resolve } from "node:path";
import { formatMs, UsageError } from "../errors.js";
import { gateIsCurrent, type GateRecord, isGateName, readBootSync, readGateSync } from "../gates/gate-file.js";
import { type OnStarted, runCommand, warmUpCommandRunner } from "../gates/run-command.js";
import { serviceDir } from "../volume/layout.js";
import { durationFlag, parse } from "./options.js";

export const WAIT_USAGE = "usage: bootgate wait <gate>... [--timeout 60s] [--secrets-dir DIR] [--reload-signal SIGHUP [--service NAME]] [-- command args...]";

export async function waitCommand(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  const { values, positionals } = parse("wait", own, { timeout: { type: "string" }, "reload-signal": { type: "string" }, service: { type: "string" } }, true);
  if (values.help) {
    process.stdout.write(WAIT_USAGE + "\n");
    return 0;
  }
  if (positionals.length === 0) throw new UsageError(`bootgate wait: name at least one gate\n${WAIT_USAGE}`);
  const bad = positionals.filter((g) => !isGateName(g));
  if (bad.length) throw new UsageError(`bootgate wait: expected gate names (lowercase letters, digits, '-'), got ${bad.map((b) => `\`${b}\``).join(", ")}`);
  if (split !== -1 && command.length === 0) throw new UsageError("bootgate wait: expected a command after `--`");
  const timeoutMs = durationFlag("timeout", values.timeout, 60_000);
  const reloadSignal = values["reload-signal"];
  if (reloadSignal !== undefined) await checkReloadFlags(reloadSignal, command);
  const serviceFlag = values.service ?? (process.env.BOOTGATE_SERVICE || undefined);
  // The name becomes a folder under the secrets folder: nothing in it may lead out of it.
  if (serviceFlag !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(serviceFlag)) {
    throw new UsageError(`bootgate wait: expected \`--service\` to be a service name (a DNS label), got \`${serviceFlag}\``);
  }
  if (reloadSignal !== undefined && serviceFlag === undefined && !(values.config ?? process.env.BOOTGATE_CONFIG)) {
    throw new UsageError(
      "bootgate wait: `--reload-signal` needs `--service NAME` (or BOOTGATE_SERVICE, or --config naming one service): whose folder to watch",
    );
  }
  // The waiter needs only the secrets folder: it does not read (or need) the stack's config.
  // With --config it reads the folder from there (loaded lazily, to keep the common path light).
  let secretsDir = values["secrets-dir"] ?? process.env.BOOTGATE_SECRETS_DIR;
  let service = serviceFlag;
  if ((secretsDir === undefined || reloadSignal !== undefined) && (values.config ?? process.env.BOOTGATE_CONFIG)) {
    const { loadConfig } = await import("../config/load.js");
    const config = await loadConfig({ file: values.config });
    secretsDir ??= config.secretsDir;
    if (reloadSignal !== undefined) service = serviceFromConfig(config, service);
  }
  secretsDir = resolve(secretsDir ?? "./secrets-volume");
  const open = openGates(secretsDir, positionals);
  // While the gates are still closed, warm up what runs the command (see run-command.ts).
  const warm = open === undefined && command.length > 0 ? warmUpCommandRunner() : undefined;
  const records = open ?? (await watchForGates(secretsDir, positionals, timeoutMs));
  if (values.json) process.stdout.write(JSON.stringify({ open: records }) + "\n");
  if (command.length === 0) return 0;
  await warm;
  const onStarted = reloadSignal !== undefined ? await reloadOnChange(serviceDir(secretsDir, service!), reloadSignal as NodeJS.Signals) : undefined;
  return runCommand(command[0]!, command.slice(1), onStarted);
}

async function checkReloadFlags(signal: string, command: string[]): Promise<void> {
  const { isReloadSignal } = await import("../docker/signals.js");
  if (!isReloadSignal(signal)) {
    throw new UsageError(
      `bootgate wait: expected \`--reload-signal\` to be a signal name such as SIGHUP or SIGUSR1 (not SIGKILL or SIGSTOP), got \`${signal}\``,
    );
  }
  if (command.length === 0) throw new UsageError("bootgate wait: `--reload-signal` needs a command after `--` to signal");
}

/** --service when given (it must be one of the config's), else the config's only service. */
function serviceFromConfig(config: { source: string; services: { name: string }[] }, flag: string | undefined): string {
  const names = config.services.map((s) => s.name);
  if (flag !== undefined) {
    if (!names.includes(flag))
      throw new UsageError(`bootgate wait: expected \`--service\` to name a service of ${config.source} (${names.join(", ")}), got \`${flag}\``);
    return flag;
  }
  if (names.length !== 1) throw new UsageError(`bootgate wait: \`--reload-signal\` needs \`--service NAME\`: ${config.source} has ${names.length} services`);
  return names[0]!;
}

/** The watch of the service's folder, started with the command and stopped when it exits. */
async function reloadOnChange(dir: string, signal: NodeJS.Signals): Promise<OnStarted> {
  const { watchServiceFolder } = await import("../gates/watch-service-folder.js");
  return (signalChild) => {
    const watch = watchServiceFolder({
      dir,
      onChange: (changed) => {
        process.stderr.write(`bootgate wait: ${changed.join(", ")} changed in ${dir}; sending ${signal}\n`);
        signalChild(signal);
      },
      onError: (error) => process.stderr.write(`bootgate wait: watching ${dir}: ${(error as Error).message}\n`),
    });
    void watch.ready.then(() => process.stderr.write(`bootgate wait: watching ${dir} for reloads\n`));
    return () => void watch.close().catch(() => {});
  };
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
