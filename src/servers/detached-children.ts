// Every part of the stack runs detached (its own process group), so nothing stops it when the
// process that started it dies. This registry is the one place that knows them all, from the
// moment each is spawned: `up` stops what it lists whenever `up` stops, its watchdog and the
// state folder's record are fed from it for when `up` cannot.
import type { ChildProcess } from "node:child_process";
import { identityOf } from "./proc-identity.js";
import { type RecordedPart, stopRecordedPart } from "./stop-recorded.js";

export interface DetachedListener {
  started(part: RecordedPart): void;
  ended(part: RecordedPart): void;
}

const live: RecordedPart[] = [];
const listeners = new Set<DetachedListener>();
let closed = false;

export interface TrackOptions {
  stopSignal?: NodeJS.Signals;
  graceMs?: number;
}

/** Called right after spawn(detached: true); a part spawned once stopping began is killed at once. */
export function trackDetached(name: string, child: ChildProcess, options: TrackOptions = {}): void {
  const pid = child.pid;
  if (pid === undefined) return;
  // Read now, before the pid could be reused: the start time is the fork's, kept across exec.
  const startTime = identityOf(pid)?.startTime ?? -1;
  const part: RecordedPart = { name, pid, startTime, stopSignal: options.stopSignal ?? "SIGTERM", graceMs: options.graceMs ?? 5_000 };
  if (closed) {
    killGroup(pid);
    return;
  }
  live.push(part);
  for (const l of listeners) l.started(part);
  child.once("exit", () => {
    // A leader that is gone takes its group with it (workers of a crashed nginx master).
    killGroup(pid);
    const i = live.indexOf(part);
    if (i >= 0) live.splice(i, 1);
    for (const l of listeners) l.ended(part);
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

export function watchDetached(listener: DetachedListener): () => void {
  listeners.add(listener);
  for (const part of live) listener.started(part);
  return () => listeners.delete(listener);
}

export function liveDetached(): readonly RecordedPart[] {
  return [...live];
}

/**
 * Stops every detached child, newest first, and refuses new ones from then on (a part whose
 * start was under way when the stop began is killed as it appears). Returns the names of all
 * that were running, whoever else (a launcher's own stop) was stopping some of them too.
 */
export async function stopAllDetached(options: { hurry?: boolean } = {}): Promise<string[]> {
  closed = true;
  const running = [...live].reverse();
  for (const part of running) await stopRecordedPart(part, options);
  return running.map((p) => p.name);
}
