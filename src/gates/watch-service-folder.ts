// `bootgate wait --reload-signal`: after the command started, the service's own folder is watched
// and one call to `onChange` follows each change set of the files a server reloads (cert.pem,
// key.pem, ca.pem, token.json). Every write on the volume is a rename into place, so the folder
// is watched, not the files (a watch on a file follows the inode the rename replaced). A renewal
// renames three files in a row: events are gathered until the folder has been quiet for
// `debounceMs`, and the files' identities (inode, size, mtime) are compared with the last ones
// seen, so a rename that put back the same file, or a temporary beside them, signals nothing.
import { statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { watch } from "chokidar";
import { SERVICE_FILES } from "../volume/layout.js";

export const RELOAD_FILES: readonly string[] = Object.values(SERVICE_FILES);

export interface FolderWatch {
  /** Resolves once the watch is in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface WatchServiceFolderOptions {
  dir: string;
  onChange: (changed: string[]) => void;
  /** Quiet time that ends a change set (default 250 ms). */
  debounceMs?: number;
  onError?: (error: unknown) => void;
}

/** What identifies one version of a file without reading it (the waiter may not read every file). */
function fingerprint(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return "absent";
  }
}

export function snapshotFolder(dir: string): Map<string, string> {
  return new Map(RELOAD_FILES.map((f) => [f, fingerprint(join(dir, f))]));
}

export function watchServiceFolder(options: WatchServiceFolderOptions): FolderWatch {
  const dir = resolve(options.dir);
  const debounceMs = options.debounceMs ?? 250;
  let seen = snapshotFolder(dir);
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const settle = () => {
    timer = undefined;
    if (closed) return;
    const now = snapshotFolder(dir);
    const changed = RELOAD_FILES.filter((f) => now.get(f) !== seen.get(f));
    seen = now;
    if (changed.length > 0) options.onChange(changed);
  };
  const touched = () => {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(settle, debounceMs);
  };

  // Nothing beneath the folder is added to the watch; `raw` (fs.watch's own events) still names
  // every entry that moves in it.
  const watcher = watch(dir, { ignoreInitial: true, depth: 0, persistent: true, ignorePermissionErrors: true, ignored: (p: string) => resolve(p) !== dir });
  watcher.on("raw", (_event, path) => {
    const name = basename(String(path));
    if (RELOAD_FILES.includes(name)) touched();
  });
  watcher.on("error", (error) => options.onError?.(error));
  const ready = new Promise<void>((r) => watcher.once("ready", () => r()));
  return {
    ready,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      // chokidar keeps a handle it was still adding when closed early (see wait-for-gates.ts).
      await ready;
      await watcher.close();
    },
  };
}
