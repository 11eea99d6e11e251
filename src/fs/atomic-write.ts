// Every file on the secrets volume is written to a temporary name in the same folder, synced,
// and renamed into place, so no reader (a service, a waiter) ever sees half a file.
import { randomBytes } from "node:crypto";
import { chown, mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface WriteOptions {
  /** File mode, applied before the rename so the file never exists with wider access. */
  mode?: number;
  /** Owner, applied only when running as root (chown needs it). */
  uid?: number | undefined;
  gid?: number | undefined;
}

export interface PendingFile extends WriteOptions {
  path: string;
  data: string | Uint8Array;
}

export const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function tempNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
}

async function writeTemp(file: PendingFile): Promise<string> {
  const temp = tempNameFor(file.path);
  const handle = await open(temp, "wx", file.mode ?? 0o600);
  try {
    await handle.writeFile(file.data);
    // open() honours the umask; chmod makes the mode exactly what was asked.
    await handle.chmod(file.mode ?? 0o600);
    if (isRoot() && (file.uid !== undefined || file.gid !== undefined)) {
      await handle.chown(file.uid ?? -1, file.gid ?? -1);
    }
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  return temp;
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic there.
  } finally {
    await handle.close();
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
  await writeFilesAtomic([{ path, data, ...options }]);
}

/**
 * Writes many files: all temporaries first, then all renames, then one sync per folder. A
 * failure before the renames leaves every old file as it was.
 */
export async function writeFilesAtomic(files: PendingFile[]): Promise<void> {
  const temps: string[] = [];
  try {
    for (const file of files) temps.push(await writeTemp(file));
  } catch (error) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw error;
  }
  await Promise.all(files.map((file, i) => rename(temps[i]!, file.path)));
  await Promise.all([...new Set(files.map((f) => dirname(f.path)))].map(syncDir));
}

/** A folder with an exact mode and, as root, an owner. */
export async function ensureDir(path: string, options: WriteOptions = {}): Promise<void> {
  await mkdir(path, { recursive: true });
  const handle = await open(path, "r");
  try {
    await handle.chmod(options.mode ?? 0o700);
  } finally {
    await handle.close();
  }
  if (isRoot() && (options.uid !== undefined || options.gid !== undefined)) {
    await chown(path, options.uid ?? -1, options.gid ?? -1);
  }
}
