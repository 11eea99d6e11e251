// bootgate up --local: the embedded default (or --config) as local processes, until Ctrl-C.
// SIGINT or SIGTERM at any moment — before the summary too — stops what has started and
// unmounts the tmpfs; the exit code is the shell's for that signal (130, 143).
import { localServerDir } from "../volume/layout.js";
import { join } from "node:path";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { type StopReport, StackGuard, leftoverScopeOf } from "../local/stack-guard.js";
import { renderSummary } from "../local/up-summary.js";
import { exampleServicesOf, type LocalStack, upLocal } from "../local/up-local.js";
import { sleep } from "../util/sleep.js";
import { createReporter, pickReportMode } from "../runner/reporter.js";
import { parse, secretsDirFlag } from "./options.js";
import { catchStopSignals, exitCodeForSignal } from "./stop-signals.js";

export const UP_USAGE = "usage: bootgate up --local [--config FILE] [--secrets-dir DIR] [--json]";

/** A boot whose parts are gone fails within its stages' next step; this only bounds a stuck one. */
const BOOT_UNWIND_MS = 15_000;

export async function upCommand(argv: string[]): Promise<number> {
  const { values } = parse("up", argv, { local: { type: "boolean", default: false } });
  if (values.help) {
    process.stdout.write(UP_USAGE + "\n");
    return 0;
  }
  if (!values.local) throw new UsageError(`bootgate up: only --local is built in (Docker stacks run \`bootgate run\` as their init container)\n${UP_USAGE}`);
  const stop = catchStopSignals();
  let guard: StackGuard | undefined;
  // A second Ctrl-C: no more patience, every part gets SIGKILL now.
  stop.onRepeat(() => void guard?.stop({ hurry: true }));
  // From the first signal on, the boot is abandoned: a late failure of its remains (a request to
  // a Vault just stopped) must not end `up` before it has stopped the stack.
  void stop.stopping.then(() => {
    const remains = (error: unknown) => void (process.env.BOOTGATE_DEBUG && process.stderr.write(`bootgate up: while stopping: ${String(error)}\n`));
    process.on("uncaughtException", remains);
    process.on("unhandledRejection", remains);
  });
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const mode = pickReportMode(values.json);
  const say = (line: string) =>
    mode === "json" ? process.stdout.write(JSON.stringify({ type: "up-log", message: line }) + "\n") : process.stderr.write(line + "\n");
  if (stop.signal.aborted) {
    const signal = await stop.stopping;
    say(`${signal}: stopped before anything was started`);
    return exitCodeForSignal(signal);
  }

  const scope = leftoverScopeOf(config, exampleServicesOf(config), join(localServerDir(config.stateDir, "postgres"), "data"));
  const opening = StackGuard.open(scope, say).then((g) => (guard = g));
  const booting = opening.then(() => upLocal(config, createReporter(mode), say, stop.signal));
  const first = await Promise.race([
    booting.then(
      (stack) => ({ stack }),
      (error: unknown) => ({ error }),
    ),
    stop.stopping.then((signal) => ({ signal })),
  ]);

  // A boot that failed because `up` is stopping is a stop, whichever promise came first.
  if ("error" in first && !stop.signal.aborted) {
    // upLocal stopped its own parts; the guard makes sure, and lets the watchdog go.
    await finish(guard);
    throw first.error;
  }
  let stack: LocalStack | undefined;
  if ("stack" in first) {
    stack = first.stack;
    if (mode === "json") {
      process.stdout.write(
        JSON.stringify({ type: "up-ready", bootId: stack.bootId, gateway: stack.gatewayUrl, services: stack.services, stageTimes: stack.stageTimes }) + "\n",
      );
    } else {
      process.stdout.write((await renderSummary(stack)) + "\n");
    }
  }
  const signal = "signal" in first ? first.signal : await stop.stopping;
  // Clearing an earlier up's leftovers is short and bounded: let it finish, then stop.
  await opening.catch(() => undefined);
  const firstSweep = await guard?.stop();
  // With its parts gone the boot unwinds; it must not mount or start anything after the last sweep.
  await Promise.race([booting.catch(() => undefined), sleep(BOOT_UNWIND_MS)]);
  const report = merge(firstSweep, await finish(guard));
  say(`${signal}: ${describeStop(report, stack === undefined)}`);
  return exitCodeForSignal(signal);
}

function merge(a: StopReport | undefined, b: StopReport | undefined): StopReport | undefined {
  if (!a || !b) return a ?? b;
  return { stopped: [...a.stopped, ...b.stopped], unmounted: a.unmounted || b.unmounted, problems: b.problems };
}

async function finish(guard: StackGuard | undefined): Promise<StopReport | undefined> {
  if (!guard) return undefined;
  const report = await guard.stop();
  if (report.problems.length === 0) guard.close();
  return report;
}

function describeStop(report: StopReport | undefined, duringBoot: boolean): string {
  if (!report) return "stopped before anything was started";
  const parts = report.stopped.length ? `stopped ${report.stopped.join(", ")}` : "no part of the stack had started";
  const mount = report.unmounted ? "; unmounted the secrets volume's tmpfs" : "";
  const problems = report.problems.length ? `; could not: ${report.problems.join("; ")} (the watchdog keeps trying)` : "";
  return `${parts}${mount}${duringBoot ? " (the boot had not finished)" : ""}${problems}`;
}
