// The folder lock (src/fs/file-lock.ts) with the real util-linux `flock`: holders take turns, a
// holder killed with SIGKILL frees it at once (no stale lock to age out), and a lock held past the
// wait fails naming the lock file.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../../src/errors.js";
import { withFileLock } from "../../../src/fs/file-lock.js";
import { tempDir } from "../../support/tmp-dir.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("an exclusive lock held by flock", () => {
  it("should let holders in one after the other, never two at once", async () => {
    await using dir = await tempDir();
    const lock = join(dir.path, ".lock");
    const events: string[] = [];
    const holder = (name: string) =>
      withFileLock(lock, { what: name, timeoutMs: 10_000 }, async () => {
        events.push(`${name} in`);
        await sleep(150);
        events.push(`${name} out`);
      });
    await Promise.all([holder("a"), holder("b"), holder("c")]);
    for (let i = 0; i < events.length; i += 2) expect(events[i + 1]).toBe(events[i]!.replace(" in", " out"));
    expect(events).toHaveLength(6);
  });

  it("should be free as soon as a holder is killed with SIGKILL", async () => {
    await using dir = await tempDir();
    const lock = join(dir.path, ".lock");
    // Another process takes the lock the same way and says so, then is killed mid-hold.
    const code = `import { withFileLock } from ${JSON.stringify(join(import.meta.dirname, "../../../src/fs/file-lock.ts"))};
await withFileLock(${JSON.stringify(lock)}, { what: "child", timeoutMs: 5000 }, async () => { console.log("held"); await new Promise(() => {}); });`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve) => child.stdout.on("data", (d: Buffer) => d.toString().includes("held") && resolve()));
    // While it holds the lock, ours waits and runs out.
    const refused = await withFileLock(lock, { what: "the test", timeoutMs: 1_000 }, async () => "in").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TimeoutError);
    expect((refused as Error).message).toContain(lock);
    child.kill("SIGKILL");
    const start = performance.now();
    expect(await withFileLock(lock, { what: "the test", timeoutMs: 5_000 }, async () => "in")).toBe("in");
    expect(performance.now() - start).toBeLessThan(3_000);
  });
});
