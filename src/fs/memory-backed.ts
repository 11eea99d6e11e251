// Whether a folder lives in memory only (tmpfs), where fsync protects nothing: a crash that
// could lose an unsynced write is a reboot, and a reboot empties the folder anyway.
import { statfsSync } from "node:fs";
import { statfs } from "node:fs/promises";

const TMPFS_MAGIC = 0x01021994;

/** False when unsure (the folder is missing, statfs is refused): then writes are synced. */
export async function isMemoryBacked(dir: string): Promise<boolean> {
  try {
    return (await statfs(dir)).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/** isMemoryBacked without a hop to libuv's pool (one statfs system call). */
export function isMemoryBackedSync(dir: string): boolean {
  try {
    return statfsSync(dir).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}
