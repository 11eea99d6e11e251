// `bootgate wait … -- cmd args`: run the command once the gates are open, pass SIGTERM, SIGINT and
// SIGHUP on to it, and exit with its code, the way an init wrapper (tini, dumb-init) would.
// Plain node:child_process, no execa: every Node container starts through this, and loading
// execa (~125 modules) was most of a cold `bootgate wait` (bench/cold.mjs).
import { spawn } from "node:child_process";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
// Signals whose default action ends this process: the child gets SIGTERM first, then the signal
// takes this process down as it would have (what execa's `cleanup` did through signal-exit).
const FATAL = ["SIGQUIT", "SIGUSR2", "SIGALRM", "SIGVTALRM", "SIGXCPU", "SIGXFSZ", "SIGTRAP", "SIGSYS", "SIGABRT"] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/**
 * Spawns a path that cannot exist, while the waiter has nothing else to do: node:child_process's
 * own code is compiled on its first call (~0.8 ms of the ~2 ms a first spawn costs here), and a
 * hundred waiters released at once would otherwise pay that together on the wake-up path. No
 * process runs (the spawn fails with ENOENT).
 */
export function warmUpCommandRunner(): Promise<void> {
  return new Promise((resolvePromise) => {
    const child = spawn("/nonexistent/bootgate-warm-up", [], { stdio: "ignore" });
    child.once("error", () => resolvePromise());
    child.once("exit", () => resolvePromise());
  });
}

/**
 * Called once the command is running, with a way to signal it; what it returns is called when
 * the command has exited (`bootgate wait --reload-signal` watches the service's folder meanwhile).
 */
export type OnStarted = (signalChild: (signal: NodeJS.Signals) => void) => (() => void) | undefined;

export function runCommand(command: string, args: string[], onStarted?: OnStarted): Promise<number> {
  return new Promise<number>((resolvePromise) => {
    const child = spawn(command, args, { stdio: "inherit" });
    const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
    const kill = (signal: NodeJS.Signals) => {
      if (running()) child.kill(signal);
    };
    let stopWatching: (() => void) | undefined;
    child.once("spawn", () => (stopWatching = onStarted?.(kill)));
    const handlers: [NodeJS.Signals, () => void][] = [
      ...FORWARDED.map((s) => [s, () => kill(s)] as [NodeJS.Signals, () => void]),
      ...FATAL.map(
        (s) =>
          [
            s,
            () => {
              kill("SIGTERM");
              detach();
              process.kill(process.pid, s);
            },
          ] as [NodeJS.Signals, () => void],
      ),
    ];
    // Whatever ends this process first (an error, process.exit) does not leave the child behind.
    const onExit = () => kill("SIGTERM");
    const detach = () => {
      for (const [s, h] of handlers) process.off(s, h);
      process.off("exit", onExit);
    };
    for (const [s, h] of handlers) process.on(s, h);
    process.on("exit", onExit);
    const done = (code: number) => {
      detach();
      stopWatching?.();
      resolvePromise(code);
    };
    child.once("error", (error) => {
      // Emitted without an `exit` when the command could not start at all (ENOENT, EACCES): the
      // shell convention is 127. After a start it can only come from a failed kill: ignored.
      if (child.pid !== undefined) return;
      process.stderr.write(`bootgate wait: cannot run \`${command}\`: ${error.message}\n`);
      done(127);
    });
    child.once("exit", (code, signal) => done(signal ? 128 + (SIGNAL_NUMBERS[signal] ?? 0) : (code ?? 1)));
  });
}
