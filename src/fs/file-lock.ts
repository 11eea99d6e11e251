// An exclusive lock on a file, held by a `flock` child process for as long as `fn` runs. Two
// writers of one folder (the agent's gateway pass and a `bootgate run` in another container, on the
// same secrets volume) must not interleave: each removes the other's generation. flock(2) is a
// kernel lock, so it holds across containers on one volume, and it goes when its holder does: if
// this process dies (kill -9, power cut to the container), the pipe to the child closes, the child
// exits and the lock is free, with no stale lock file to judge by its age. Node has no flock of
// its own; util-linux's `flock` is in every image bootgate runs in (Debian: essential).
import { spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { TimeoutError } from "../errors.js";

export interface FileLockOptions {
  /** What is being locked, for the error when another holder keeps it past timeoutMs. */
  what: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export async function withFileLock<T>(lockFile: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const seconds = Math.max(1, Math.ceil(options.timeoutMs / 1000));
  // Made here, 0600, rather than by flock with the umask's mode: it sits among a service's keys.
  await (await open(lockFile, "a", 0o600)).close();
  // `cat` holds the lock until its stdin (our end of the pipe) closes.
  const child = spawn("flock", ["--exclusive", "--timeout", String(seconds), lockFile, "sh", "-c", "echo locked; exec cat"], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout.once("data", () => resolve());
      child.once("error", (error: NodeJS.ErrnoException) =>
        reject(error.code === "ENOENT" ? new Error(`${options.what}: flock (util-linux) is needed to lock ${lockFile}`) : error),
      );
      const onAbort = () => reject(options.signal!.reason as Error);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      void exited.then((code) => {
        options.signal?.removeEventListener("abort", onAbort);
        // flock exits 1 when --timeout ran out; anything else before "locked" is a failure of its own.
        reject(
          code === 1
            ? new TimeoutError(`${lockFile} for ${options.what} (another writer held it)`, seconds * 1000)
            : new Error(`${options.what}: flock on ${lockFile} exited ${code}${stderr ? `: ${stderr.trim()}` : ""}`),
        );
      });
    });
    return await fn();
  } finally {
    child.stdin.end();
    if (child.exitCode === null && child.signalCode === null) {
      const done = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2_000).unref())]);
      if (!done) child.kill("SIGKILL");
    }
  }
}
