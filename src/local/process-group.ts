// Stopping a part we started detached (its own process group): ask the whole group, then insist.
import type { ChildProcess } from "node:child_process";

export async function stopProcessGroup(child: ChildProcess, exited: Promise<unknown>, signal: NodeJS.Signals = "SIGTERM", graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  try {
    process.kill(-pid, signal);
  } catch {
    return; // already gone
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}
