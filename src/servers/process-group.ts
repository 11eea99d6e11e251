// Stopping a part we started detached (its own process group): ask the whole group, then insist.
import type { ChildProcess } from "node:child_process";

/** Sends `signal` to the child's whole process group; a group already gone is not an error. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

export interface StopOptions {
  /** How the part wants to be asked: SIGTERM, or nginx's SIGQUIT, PostgreSQL's SIGINT. */
  signal?: NodeJS.Signals;
  graceMs?: number;
  /** SIGKILL the group once the leader is gone: children of a leader that died (nginx workers) would linger. */
  sweep?: boolean;
}

export async function stopProcessGroup(child: ChildProcess, exited: Promise<unknown>, options: StopOptions = {}): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  signalGroup(child, options.signal ?? "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), options.graceMs ?? 5_000);
  await exited;
  clearTimeout(timer);
  if (options.sweep) signalGroup(child, "SIGKILL");
}
