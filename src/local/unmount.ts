// Unmounting the secrets volume's tmpfs whoever is left to do it: `up` as it stops, its watchdog
// once `up` is gone, the next `up` finding one left mounted.
import { sleep } from "../util/sleep.js";
import { isMountPoint } from "./secrets-volume.js";

const BUSY_RETRIES = 20;
const BUSY_WAIT_MS = 100;

/** Returns whether a mount was there. A process just killed may hold it for a moment: retried. */
export async function unmountIfMounted(path: string): Promise<boolean> {
  if (!(await isMountPoint(path))) return false;
  // Loaded only when there is a mount to undo: `up` and its watchdog import this at their start.
  const { execa } = await import("execa");
  for (let attempt = 0; attempt < BUSY_RETRIES; attempt++) {
    const result = await execa("umount", [path], { reject: false });
    if (result.exitCode === 0 || !(await isMountPoint(path))) return true;
    await sleep(BUSY_WAIT_MS);
  }
  // Still busy after 2 s: detach it now, the kernel frees it when its last user lets go.
  const lazy = await execa("umount", ["-l", path], { reject: false });
  if (lazy.exitCode !== 0) throw new Error(`could not unmount ${path}: ${lazy.stderr || `umount exited ${lazy.exitCode}`}`);
  return true;
}
