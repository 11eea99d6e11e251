import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureDir, writeFileAtomic, writeFilesAtomic } from "../../../src/fs/atomic-write.js";
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
