// Stopping a part of the stack by what was recorded of it (pid and start time), from a process
// that need not be its parent: `up` itself, its watchdog once `up` is gone, or the next `up`.
// A pid whose start time no longer matches is a stranger that got the number: never signalled.
import { becomesTrue } from "../util/poll.js";
import { groupMembers, isSameProcess, type ProcessIdentity } from "./proc-identity.js";

export interface RecordedPart extends ProcessIdentity {
  name: string;
  /** How the part wants to be asked: SIGTERM, nginx's SIGQUIT, PostgreSQL's SIGINT (fast shutdown). */
  stopSignal: NodeJS.Signals;
  graceMs: number;
}

const POLL_MS = 50;
/** After SIGKILL: only the kernel is left to act, which takes well under this. */
const KILL_WAIT_MS = 5_000;

const signalGroup = (pgid: number, signal: NodeJS.Signals) => signalProcess(-pgid, signal);

function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone meanwhile.
  }
}

const until = (done: () => boolean, ms: number) => becomesTrue(done, { timeoutMs: ms, intervalMs: POLL_MS });

/** Whether anything of the part is left: its leader, or members of its group (nginx workers). */
export function isPartAlive(part: RecordedPart): boolean {
  return isSameProcess(part) || groupMembers(part.pid).length > 0;
}

/**
 * Asks the part's process group to stop, waits its grace, then kills the group. Each part runs
 * detached, so its pid is its group's id; while any member lives the kernel cannot hand that
 * number to another process, so signalling the group reaches only what we started.
 * Returns false when nothing of it was left to stop.
 */
export async function stopRecordedPart(part: RecordedPart, options: { hurry?: boolean; alone?: boolean } = {}): Promise<boolean> {
  // `alone`: a process found, not one we started detached; its group may hold what is not ours.
  const alive = options.alone ? () => isSameProcess(part) : () => isPartAlive(part);
  const send = (signal: NodeJS.Signals) => (options.alone ? signalProcess(part.pid, signal) : signalGroup(part.pid, signal));
  if (!alive()) return false;
  if (isSameProcess(part) && !options.hurry) {
    send(part.stopSignal);
    await until(() => !isSameProcess(part), part.graceMs);
  }
  // The leader is gone or did not listen; what is left of its group does not outlive it.
  if (alive()) send("SIGKILL");
  if (!(await until(() => !alive(), KILL_WAIT_MS))) {
    throw new Error(`${part.name} (pid ${part.pid}) is still there ${KILL_WAIT_MS / 1000} s after SIGKILL (a process stuck in the kernel?)`);
  }
  return true;
}
