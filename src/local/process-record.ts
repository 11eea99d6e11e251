// The state folder's record of a running `up`: its own pid and every part it started, rewritten
// as parts start and end, removed when `up` has stopped them. A record left behind means an `up`
// that ended without stopping its stack (kill -9, a crash, a power loss): the next `up` reads it
// to stop exactly those processes, each checked by pid and start time, never a stranger.
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { identityOf, kernelBootId, type ProcessIdentity } from "../servers/proc-identity.js";
import type { RecordedPart } from "../servers/stop-recorded.js";

export interface UpRecord {
  /** Start times compare only within one kernel boot; after a reboot every recorded pid is a stranger. */
  kernelBootId: string;
  up: ProcessIdentity;
  /** Until it has exited, the earlier `up`'s watchdog may still be stopping parts and unmounting. */
  watchdog?: ProcessIdentity;
  parts: RecordedPart[];
}

export { upRecordPath as recordPath } from "../volume/layout.js";
import { upRecordPath as recordPath } from "../volume/layout.js";

export function readRecord(stateDir: string): UpRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordPath(stateDir), "utf8");
  } catch {
    return undefined;
  }
  try {
    const record = JSON.parse(text) as UpRecord;
    return Array.isArray(record.parts) && record.up ? record : undefined;
  } catch {
    // Half a file cannot happen (rename); a file edited by hand proves nothing.
    return undefined;
  }
}

/** Synchronous, so the record is on disk before the next event can be lost with the process. */
export function writeRecord(stateDir: string, parts: readonly RecordedPart[], watchdog: ProcessIdentity | undefined): void {
  const up = identityOf(process.pid) ?? { pid: process.pid, startTime: -1 };
  const record: UpRecord = { kernelBootId: kernelBootId(), up, ...(watchdog ? { watchdog } : {}), parts: [...parts] };
  const path = recordPath(stateDir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(record, null, 1) + "\n", { mode: 0o600 });
  renameSync(temp, path);
}

export function removeRecord(stateDir: string): void {
  rmSync(recordPath(stateDir), { force: true });
}
