// The local stand-in for the stack's tmpfs volume: a tmpfs mounted on ./secrets-volume where we
// may (root), a plain folder otherwise. Every `up` empties it, so every `up` is a boot.
import { readFile, readdir, rm, mkdir } from "node:fs/promises";
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { isRoot } from "../fs/atomic-write.js";

/**
 * Whether a one-shot tool (mount, umount) succeeded. node:child_process, not execa: this runs
 * before the boot, where loading execa's ~125 modules was ~10% of `up`'s start (bench/up.mjs).
 */
const succeeds = (file: string, args: string[]) => new Promise<boolean>((done) => execFile(file, args, (error) => done(error === null)));

/** Kept in git so the mount point exists in a fresh clone; never a secret. */
const KEEP = new Set([".gitkeep"]);

export interface SecretsVolume {
  path: string;
  tmpfs: boolean;
  /** Unmounts what we mounted: the local equivalent of the machine shutting down. */
  release(): Promise<void>;
}

export async function isMountPoint(path: string): Promise<boolean> {
  const target = resolve(path);
  const info = await readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  // Field 5 is the mount point; spaces in it are escaped as \040.
  return info.split("\n").some((line) => line.split(" ")[4]?.replace(/\\040/g, " ") === target);
}

export async function prepareSecretsVolume(path: string, options: { sizeMb?: number } = {}): Promise<SecretsVolume> {
  const dir = resolve(path);
  await mkdir(dir, { recursive: true });
  let mounted = false;
  if (await isMountPoint(dir)) {
    mounted = true;
  } else if (isRoot()) {
    mounted = await succeeds("mount", ["-t", "tmpfs", "-o", `size=${options.sizeMb ?? 64}m,mode=0755`, "tmpfs", dir]);
  }
  // Empty it either way: a fresh tmpfs is empty already, a reused mount or plain folder is not.
  const entries = await readdir(dir);
  await Promise.all(entries.filter((e) => !KEEP.has(e)).map((e) => rm(join(dir, e), { recursive: true, force: true })));
  return {
    path: dir,
    tmpfs: mounted,
    release: async () => {
      if (mounted) await succeeds("umount", [dir]);
    },
  };
}
