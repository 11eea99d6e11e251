// Blocks until every named gate of the current boot exists. chokidar does the watching (inotify
// through fs.watch here); we only re-read the small gate files when something in .gates moves.
import { existsSync } from "node:fs";
import { dirname, resolve, sep } from "node:path";
import { watch } from "chokidar";
import { WaitTimeoutError } from "../errors.js";
import { type GateRecord, gateIsCurrent, gatesDir, readBootSync, readGateSync } from "./gate-file.js";

export interface WaitOptions {
  secretsDir: string;
  gates: string[];
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called once the watch is in place and the gates were not all open yet. */
  onWaiting?: (missing: string[]) => void;
}

export async function waitForGates(options: WaitOptions): Promise<GateRecord[]> {
  const { secretsDir, gates, timeoutMs } = options;
  const dir = gatesDir(secretsDir);

  const check = (): { done: GateRecord[]; missing: string[] } => {
    const boot = readBootSync(secretsDir);
    const records = gates.map((g) => readGateSync(secretsDir, g));
    const done: GateRecord[] = [];
    const missing: string[] = [];
    records.forEach((r, i) => (gateIsCurrent(r, boot) ? done.push(r!) : missing.push(gates[i]!)));
    return { done, missing };
  };

  // Watch the nearest folder that exists: .gates, else the secrets folder, else its parent.
  const target = existsSync(dir) ? dir : existsSync(secretsDir) ? secretsDir : dirname(secretsDir);
  // Until .gates exists only the way down to it matters: the service folders beside it are
  // closed to a waiter running as another service's user, and watching them would fail (EACCES).
  const gatesPath = resolve(dir);
  const onTheWay = (p: string) => p === gatesPath || gatesPath.startsWith(p.endsWith(sep) ? p : p + sep) || p.startsWith(gatesPath + sep);
  const watcher = watch(target, {
    ignoreInitial: true,
    depth: target === dir ? 0 : 2,
    persistent: true,
    ignored: (p: string) => !onTheWay(resolve(p)),
    ignorePermissionErrors: true,
  });

  try {
    return await new Promise<GateRecord[]>((resolve, reject) => {
      let settled = false;
      let lastMissing = gates;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        // Closed at once, so chokidar starts none of its own re-reads of the folder for the
        // events still queued: a hundred waiters waking together share two cores.
        watcher.close().catch(() => {});
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const recheck = () => {
        if (settled) return;
        try {
          const { done, missing } = check();
          lastMissing = missing;
          if (missing.length === 0) finish(() => resolve(done));
        } catch (error) {
          finish(() => reject(error));
        }
      };
      const timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(lastMissing, timeoutMs))), timeoutMs);
      const onAbort = () => finish(() => reject(options.signal!.reason));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      // `raw` is chokidar's own fs.watch event, before it re-reads and stats the folder for its
      // `add`: reacting to it saves those round trips, which is most of a waiter's wake-up cost.
      watcher.on("raw", recheck);
      watcher.on("all", recheck);
      watcher.on("error", (error) => finish(() => reject(error)));
      // Check once the watch is in place, so a gate written before it is not missed.
      watcher.on("ready", () => {
        recheck();
        if (!settled) options.onWaiting?.(lastMissing);
      });
    });
  } finally {
    // Closed in the background (a no-op when finish already did): whoever waited should not
    // wait for the watcher's teardown too.
    watcher.close().catch(() => {});
  }
}
