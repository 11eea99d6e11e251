// The watchdog of `up --local`: a detached process `up` starts first and holds a pipe to. `up`
// writes each part it starts and ends down the pipe; when the pipe closes without `up` saying it
// stopped its stack — `up` was killed (kill -9), crashed, or ran out of memory — the watchdog
// stops the parts still listed (the same polite signal, then SIGKILL) and unmounts the tmpfs.
// Only pids and names cross the pipe: nothing secret is on its argv, its environment or its log.
import { upWatchdogLogPath } from "../volume/layout.js";
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { removeRecord } from "./process-record.js";
import { unmountIfMounted } from "./unmount.js";
import type { RecordedPart } from "../servers/stop-recorded.js";
import { isPartAlive, stopRecordedPart } from "../servers/stop-recorded.js";

export type WatchdogMessage = { started: RecordedPart } | { ended: number } | { done: true };

const { values } = parseArgs({ options: { "state-dir": { type: "string" }, "secrets-dir": { type: "string" }, "up-pid": { type: "string" } } });
const stateDir = values["state-dir"]!;
const secretsDir = values["secrets-dir"]!;

// Its own session already keeps a terminal's Ctrl-C and hang-up away; a stray one must not stop it halfway.
for (const signal of ["SIGINT", "SIGHUP", "SIGPIPE"] as const) process.on(signal, () => {});

const parts = new Map<number, RecordedPart>();
let done = false;

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  let message: WatchdogMessage;
  try {
    message = JSON.parse(line) as WatchdogMessage;
  } catch {
    return;
  }
  if ("started" in message) parts.set(message.started.pid, message.started);
  else if ("ended" in message) parts.delete(message.ended);
  else if ("done" in message) done = true;
});
lines.on("close", () => void (done ? process.exit(0) : cleanUp()));

async function cleanUp(): Promise<void> {
  const stopped: string[] = [];
  const failed: string[] = [];
  for (const part of [...parts.values()].reverse()) {
    try {
      if (await stopRecordedPart(part)) stopped.push(`${part.name} (pid ${part.pid})`);
    } catch (error) {
      failed.push(`${part.name}: ${(error as Error).message}`);
    }
  }
  let unmounted = false;
  try {
    unmounted = await unmountIfMounted(secretsDir);
  } catch (error) {
    failed.push((error as Error).message);
  }
  if (![...parts.values()].some(isPartAlive)) removeRecord(stateDir);
  const what = [stopped.length ? `stopped ${stopped.join(", ")}` : "no part was running", unmounted ? `unmounted ${secretsDir}` : ""]
    .filter(Boolean)
    .join("; ");
  const line = `${new Date().toISOString()} bootgate up (pid ${values["up-pid"] ?? "?"}) ended without stopping its stack: ${what}${failed.length ? `; failed: ${failed.join("; ")}` : ""}\n`;
  try {
    appendFileSync(upWatchdogLogPath(stateDir), line, { mode: 0o600 });
  } catch {
    // The state folder went away with the stack: nothing left to tell.
  }
  process.exit(failed.length ? 1 : 0);
}
