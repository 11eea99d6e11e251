// `bootgate wait … -- cmd args`: run the command once the gates are open, pass SIGTERM and
// SIGINT on to it, and exit with its code, the way an init wrapper (tini, dumb-init) would.
import { execa } from "execa";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

const OPTIONS = { stdio: "inherit", reject: false, cleanup: true } as const;

/**
 * Runs execa once on a path that cannot exist, while the waiter has nothing else to do: V8
 * compiles execa's code on its first call, about 15 ms of CPU measured here, and a hundred
 * waiters released at once would otherwise pay it together on the wake-up path. No process is
 * started (the spawn fails with ENOENT).
 */
export async function warmUpCommandRunner(): Promise<void> {
  await execa("/nonexistent/bootgate-warm-up", [], OPTIONS);
}

export async function runCommand(command: string, args: string[]): Promise<number> {
  const child = execa(command, args, OPTIONS);
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = FORWARDED.map((s) => [s, forward(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  try {
    const result = await child;
    if (result.failed && result.exitCode === undefined && result.signal === undefined) {
      // Could not start at all (ENOENT, EACCES): the shell convention is 127.
      process.stderr.write(`bootgate wait: cannot run \`${command}\`: ${result.originalMessage ?? result.shortMessage}\n`);
      return 127;
    }
    if (result.signal) return 128 + (SIGNAL_NUMBERS[result.signal] ?? 0);
    return result.exitCode ?? 1;
  } finally {
    for (const [s, h] of handlers) process.off(s, h);
  }
}
