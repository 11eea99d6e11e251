// `bootgate wait … -- cmd args`: run the command once the gates are open, pass SIGTERM and
// SIGINT on to it, and exit with its code, the way an init wrapper (tini, dumb-init) would.
import { execa } from "execa";

const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;
const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

export async function runCommand(command: string, args: string[]): Promise<number> {
  const child = execa(command, args, { stdio: "inherit", reject: false, cleanup: true });
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
