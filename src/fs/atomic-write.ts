// Every file on the secrets volume is written to a temporary name in the same folder, synced,
// and renamed into place, so no reader (a service, a waiter) ever sees half a file.
// On a tmpfs (the secrets volume) there is nothing to sync, and each call is a memory operation
// that takes less time than a hop to libuv's pool: there the files are written with synchronous
// calls, and without fsync. The rename still keeps readers from half a file.
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, fchmodSync, fchownSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { chmod, chown, lstat, mkdir, open, readdir, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isMemoryBacked, isMemoryBackedSync } from "./memory-backed.js";

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

/** `tag`: random per batch (one draw, not one per file), then the file's place in it. */
function tempNameFor(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}
const TEMP_NAME = /^\..+\.[0-9a-f]{12}-\d+\.tmp$/;

/**
 * Removes the temporaries a writer killed mid-batch (kill -9, power loss on a plain folder) left
 * in `dir`: each may hold a key or a token, and nothing else ever removes it. Only those older
 * than `minAgeMs`, so a batch another process is writing right now keeps its own.
 */
export async function sweepStaleTemps(dir: string, minAgeMs = 60_000, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names.filter((n) => TEMP_NAME.test(n))) {
    const path = join(dir, name);
    const info = await lstat(path).catch(() => undefined);
    if (!info?.isFile() || now - info.mtimeMs < minAgeMs) continue;
    await rm(path, { force: true });
    removed.push(name);
  }
  return removed;
}

async function writeTemp(file: PendingFile, tag: string): Promise<string> {
  const temp = tempNameFor(file.path, tag);
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

/** writeTemp on a tmpfs: the same steps but the fsync, each a plain system call. */
function writeTempInMemory(file: PendingFile, tag: string): string {
  const temp = tempNameFor(file.path, tag);
  const mode = file.mode ?? 0o600;
  const fd = openSync(temp, "wx", mode);
  try {
    const data = typeof file.data === "string" ? Buffer.from(file.data) : file.data;
    for (let done = 0; done < data.byteLength;) done += writeSync(fd, data, done);
    fchmodSync(fd, mode);
    if (isRoot() && (file.uid !== undefined || file.gid !== undefined)) fchownSync(fd, file.uid ?? -1, file.gid ?? -1);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
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
 * Writes many files: all temporaries first, then all renames, then one sync per folder (none
 * on a tmpfs). A failure before the renames leaves every old file as it was.
 */
export async function writeFilesAtomic(files: PendingFile[]): Promise<void> {
  const dirs = [...new Set(files.map((f) => dirname(f.path)))];
  const inMemory = new Set((await Promise.all(dirs.map(async (d) => ((await isMemoryBacked(d)) ? d : undefined)))).filter((d) => d !== undefined));
  const tag = randomBytes(6).toString("hex");
  const temps: string[] = [];
  try {
    for (const [i, file] of files.entries()) {
      temps.push(inMemory.has(dirname(file.path)) ? writeTempInMemory(file, `${tag}-${i}`) : await writeTemp(file, `${tag}-${i}`));
    }
  } catch (error) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw error;
  }
  await Promise.all(files.map(async (file, i) => (inMemory.has(dirname(file.path)) ? renameSync(temps[i]!, file.path) : rename(temps[i]!, file.path))));
  await Promise.all(dirs.filter((d) => !inMemory.has(d)).map(syncDir));
}

/** A folder with an exact mode and, as root, an owner. */
export async function ensureDir(path: string, options: WriteOptions = {}): Promise<void> {
  await mkdir(path, { recursive: true });
  await chmod(path, options.mode ?? 0o700);
  if (isRoot() && (options.uid !== undefined || options.gid !== undefined)) {
    await chown(path, options.uid ?? -1, options.gid ?? -1);
  }
}

/**
 * writeFilesAtomic for folders on a tmpfs, with synchronous calls only: there each step is a
 * memory operation that costs less than a round trip to libuv's pool (pki-init writes 600 files
 * in 200 folders). Returns false, having written nothing, when a folder is not memory-backed:
 * the caller then uses writeFilesAtomic, which syncs.
 */
export function writeFilesAtomicInMemorySync(files: PendingFile[]): boolean {
  const dirs = [...new Set(files.map((f) => dirname(f.path)))];
  if (!dirs.every(isMemoryBackedSync)) return false;
  const tag = randomBytes(6).toString("hex");
  const temps: string[] = [];
  try {
    for (const [i, file] of files.entries()) temps.push(writeTempInMemory(file, `${tag}-${i}`));
  } catch (error) {
    for (const t of temps) rmSync(t, { force: true });
    throw error;
  }
  files.forEach((file, i) => renameSync(temps[i]!, file.path));
  return true;
}

/** ensureDir with synchronous calls (for a tmpfs; see writeFilesAtomicInMemorySync). */
export function ensureDirSync(path: string, options: WriteOptions = {}): void {
  mkdirSync(path, { recursive: true });
  chmodSync(path, options.mode ?? 0o700);
  if (isRoot() && (options.uid !== undefined || options.gid !== undefined)) {
    chownSync(path, options.uid ?? -1, options.gid ?? -1);
  }
}
