import { mkdir, readdir, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDir, sweepStaleTemps, writeFileAtomic, writeFilesAtomic } from "../../../src/fs/atomic-write.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("atomic writes", () => {
  it("should write the exact mode asked for, whatever the umask", async () => {
    await using dir = await tempDir();
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(join(dir.path, "pub"), "x", { mode: 0o644 });
    } finally {
      process.umask(old);
    }
    expect((await stat(join(dir.path, "pub"))).mode & 0o777).toBe(0o644);
  });

  it("should default to 0600 and leave no temporary file behind", async () => {
    await using dir = await tempDir();
    await writeFileAtomic(join(dir.path, "key.pem"), "secret");
    expect((await stat(join(dir.path, "key.pem"))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir.path)).toEqual(["key.pem"]);
  });

  it("should keep every old file when one file of a batch cannot be written", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "a"), "old-a");
    await expect(
      writeFilesAtomic([
        { path: join(dir.path, "a"), data: "new-a" },
        { path: join(dir.path, "missing-folder", "b"), data: "new-b" },
      ]),
    ).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir.path, "a"), "utf8")).toBe("old-a");
    expect(await readdir(dir.path)).toEqual(["a"]);
  });

  it("should chown files and folders to the given owner when running as root", async () => {
    if (process.getuid?.() !== 0) throw new Error("this test checks ownership and must run as root (CI and `make test` do)");
    await using dir = await tempDir();
    const folder = join(dir.path, "svc");
    await ensureDir(folder, { mode: 0o750, uid: 4242, gid: 4343 });
    await writeFileAtomic(join(folder, "key.pem"), "k", { mode: 0o600, uid: 4242, gid: 4343 });
    const d = await stat(folder);
    const f = await stat(join(folder, "key.pem"));
    expect([d.uid, d.gid, d.mode & 0o777]).toEqual([4242, 4343, 0o750]);
    expect([f.uid, f.gid, f.mode & 0o777]).toEqual([4242, 4343, 0o600]);
  });

  it("should tighten an existing folder to the asked mode", async () => {
    await using dir = await tempDir();
    const folder = join(dir.path, "loose");
    await mkdir(folder, { mode: 0o777 });
    await ensureDir(folder, { mode: 0o700 });
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });
});

describe("sweeping the temporaries an interrupted write left", () => {
  it("should remove only the writer's old temporaries, never a real file or a batch in progress", async () => {
    await using dir = await tempDir();
    const now = Date.now();
    const old = new Date(now - 120_000);
    const files = {
      stale: ".key.pem.0123456789ab-0.tmp",
      staleToken: ".token.json.ffffffffffff-3.tmp",
      fresh: ".cert.pem.abcdefabcdef-1.tmp",
      real: "key.pem",
      otherDot: ".hidden",
      notOurs: ".key.pem.tmp",
    };
    for (const name of Object.values(files)) await writeFile(join(dir.path, name), "x");
    for (const name of [files.stale, files.staleToken, files.real, files.otherDot, files.notOurs]) await utimes(join(dir.path, name), old, old);
    const removed = await sweepStaleTemps(dir.path, 60_000, now);
    expect(removed.sort()).toEqual([files.stale, files.staleToken].sort());
    expect((await readdir(dir.path)).sort()).toEqual([files.fresh, files.real, files.otherDot, files.notOurs].sort());
  });

  it("should name the temporaries writeFilesAtomic makes, and do nothing for a missing folder", async () => {
    await using dir = await tempDir();
    // A batch's temporaries, as a kill between the writes and the renames leaves them.
    const tempsOf = async () => (await readdir(dir.path)).filter((n) => n.endsWith(".tmp"));
    const batch = writeFilesAtomic([
      { path: join(dir.path, "key.pem"), data: "k" },
      { path: join(dir.path, "cert.pem"), data: "c" },
    ]);
    await batch;
    expect(await tempsOf()).toEqual([]);
    await writeFile(join(dir.path, ".key.pem.a1b2c3d4e5f6-0.tmp"), "k");
    expect(await sweepStaleTemps(dir.path, 0, Date.now() + 1000)).toEqual([".key.pem.a1b2c3d4e5f6-0.tmp"]);
    expect(await sweepStaleTemps(join(dir.path, "absent"))).toEqual([]);
  });
});
