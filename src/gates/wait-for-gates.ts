// Blocks until every named gate of the current boot exists. chokidar does the watching (inotify
// through fs.watch here); we only re-read the small gate files when something moves.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type FSWatcher, watch } from "chokidar";
import { WaitTimeoutError } from "../errors.js";
import { gatesDir } from "../volume/layout.js";
import { type GateRecord, gateIsCurrent, readBootSync, readGateSync } from "./gate-file.js";

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
  const dir = resolve(gatesDir(secretsDir));

  const check = (): { done: GateRecord[]; missing: string[] } => {
    const boot = readBootSync(secretsDir);
    const records = gates.map((g) => readGateSync(secretsDir, g));
    const done: GateRecord[] = [];
    const missing: string[] = [];
    records.forEach((r, i) => (gateIsCurrent(r, boot) ? done.push(r!) : missing.push(gates[i]!)));
    return { done, missing };
  };

  // The nearest folder that exists on the way down to .gates: .gates, the secrets folder, its parent.
  const nearest = () => [dir, resolve(secretsDir), dirname(resolve(secretsDir))].find((p) => existsSync(p)) ?? dirname(resolve(secretsDir));

  let watcher: FSWatcher | undefined;
  let target = "";
  // chokidar drops the handle of a folder it was still adding when it is closed, and that watch
  // then keeps the process alive: a watcher is closed only once it is ready.
  const readyWatchers = new WeakSet<FSWatcher>();
  const close = (w: FSWatcher | undefined) => {
    if (!w) return;
    if (readyWatchers.has(w)) w.close().catch(() => {});
    else w.once("ready", () => void w.close().catch(() => {}));
  };
  try {
    return await new Promise<GateRecord[]>((resolvePromise, reject) => {
      let settled = false;
      let announced = false;
      let lastMissing = gates;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        // Closed at once, so chokidar starts none of its own re-reads of the folder for the
        // events still queued: a hundred waiters waking together share two cores.
        close(watcher);
        clearTimeout(timer);
        clearInterval(safety);
        options.signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const recheck = () => {
        if (settled) return;
        try {
          const { done, missing } = check();
          lastMissing = missing;
          if (missing.length === 0) finish(() => resolvePromise(done));
          else if (target !== dir && nearest() !== target) watchNearest();
        } catch (error) {
          finish(() => reject(error));
        }
      };
      // One folder at a time and nothing inside it: the service folders beside .gates are closed
      // to a waiter running as another service's user, and chokidar's own watches of entries that
      // appear just as it is closed can be left behind, keeping the process alive. When a folder
      // nearer to .gates appears, the watch moves down to it; its `ready` looks once, so a gate
      // written in between is not missed.
      const watchNearest = () => {
        close(watcher);
        target = nearest();
        const here = target;
        // Everything inside is ignored, so chokidar adds (and watches) nothing of its own beneath
        // the folder; its `raw` events, straight from fs.watch, still name every entry that moves.
        const w = watch(here, { ignoreInitial: true, depth: 0, persistent: true, ignorePermissionErrors: true, ignored: (p: string) => resolve(p) !== here });
        watcher = w;
        // `raw` is chokidar's own fs.watch event, before any re-read or stat of the folder: the
        // cheapest wake-up there is.
        w.on("raw", recheck);
        w.on("error", (error) => finish(() => reject(error)));
        w.on("ready", () => {
          readyWatchers.add(w);
          if (watcher !== w) return;
          recheck();
          if (!settled && !announced) {
            announced = true;
            options.onWaiting?.(lastMissing);
          }
        });
      };
      const timer = setTimeout(() => finish(() => reject(new WaitTimeoutError(lastMissing, timeoutMs))), timeoutMs);
      // A safety net, not the wake-up path: an event lost between two watches costs a second at most.
      const safety = setInterval(recheck, 1000);
      safety.unref();
      const onAbort = () => finish(() => reject(options.signal!.reason));
      options.signal?.addEventListener("abort", onAbort, { once: true });
      watchNearest();
    });
  } finally {
    // Closed in the background (a no-op when finish already did): whoever waited should not
    // wait for the watcher's teardown too.
    close(watcher);
  }
}
