import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { tempDir } from "../../support/tmp-dir.js";
import { ensureDir, ensureDirSync, writeFileAtomic, writeFilesAtomic, writeFilesAtomicInMemorySync } from "../../../src/fs/atomic-write.js";
import { isMemoryBacked, isMemoryBackedSync } from "../../../src/fs/memory-backed.js";

const SHM = "/dev/shm";

async function shmDir(): Promise<{ path: string } & AsyncDisposable> {
  if (!(await isMemoryBacked(SHM))) throw new Error(`${SHM} is not a tmpfs here; these tests need one (docker gives every container a tmpfs /dev/shm)`);
  const path = await mkdtemp(join(SHM, "bootgate-test-"));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

describe("the tmpfs decision", () => {
  it("should call a tmpfs folder memory-backed", async () => {
    await using dir = await shmDir();
    expect(await isMemoryBacked(dir.path)).toBe(true);
  });

  it("should not call procfs or a missing folder memory-backed, so writes there stay synced", async () => {
    expect(await isMemoryBacked("/proc")).toBe(false);
    expect(await isMemoryBacked(join(SHM, "bootgate-no-such-folder", "x"))).toBe(false);
  });
});

describe("atomic writes on a tmpfs", () => {
  it("should write the exact mode asked for, whatever the umask, and leave no temporary file", async () => {
    await using dir = await shmDir();
    const old = process.umask(0o077);
    try {
      await writeFilesAtomic([
        { path: join(dir.path, "key.pem"), data: "secret" },
        { path: join(dir.path, "cert.pem"), data: new Uint8Array([1, 2, 3]), mode: 0o644 },
      ]);
    } finally {
      process.umask(old);
    }
    expect((await stat(join(dir.path, "key.pem"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, "cert.pem"))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(dir.path, "key.pem"), "utf8")).toBe("secret");
    expect([...(await readFile(join(dir.path, "cert.pem")))]).toEqual([1, 2, 3]);
    expect((await readdir(dir.path)).sort()).toEqual(["cert.pem", "key.pem"]);
  });

  it("should replace an existing file and keep every old file when one file of a batch cannot be written", async () => {
    await using dir = await shmDir();
    await writeFile(join(dir.path, "a"), "old-a");
    await writeFileAtomic(join(dir.path, "b"), "new-b");
    expect(await readFile(join(dir.path, "b"), "utf8")).toBe("new-b");
    await expect(
      writeFilesAtomic([
        { path: join(dir.path, "a"), data: "new-a" },
        { path: join(dir.path, "missing-folder", "c"), data: "new-c" },
      ]),
    ).rejects.toThrow(/ENOENT/);
    expect(await readFile(join(dir.path, "a"), "utf8")).toBe("old-a");
    expect((await readdir(dir.path)).sort()).toEqual(["a", "b"]);
  });

  it("should chown files to the given owner when running as root", async () => {
    if (process.getuid?.() !== 0) throw new Error("this test checks ownership and must run as root (CI and `make test` do)");
    await using dir = await shmDir();
    const folder = join(dir.path, "svc");
    await ensureDir(folder, { mode: 0o750, uid: 4242, gid: 4343 });
    await writeFileAtomic(join(folder, "key.pem"), "k", { mode: 0o640, uid: 4242, gid: 4343 });
    const f = await stat(join(folder, "key.pem"));
    expect([f.uid, f.gid, f.mode & 0o777]).toEqual([4242, 4343, 0o640]);
  });
});

describe("synchronous atomic writes on a tmpfs (pki-init's folders)", () => {
  it("should decide as the asynchronous check does", async () => {
    await using dir = await shmDir();
    expect(isMemoryBackedSync(dir.path)).toBe(true);
    expect(isMemoryBackedSync("/proc")).toBe(false);
    expect(isMemoryBackedSync(join(SHM, "bootgate-no-such-folder"))).toBe(false);
  });

  it("should write exact modes, replace old files and leave no temporary file", async () => {
    await using dir = await shmDir();
    const folder = join(dir.path, "svc");
    const old = process.umask(0o077);
    try {
      ensureDirSync(folder, { mode: 0o750 });
      await writeFile(join(folder, "cert.pem"), "old");
      expect(
        writeFilesAtomicInMemorySync([
          { path: join(folder, "key.pem"), data: "secret" },
          { path: join(folder, "cert.pem"), data: "new", mode: 0o644 },
        ]),
      ).toBe(true);
    } finally {
      process.umask(old);
    }
    expect((await stat(folder)).mode & 0o777).toBe(0o750);
    expect((await stat(join(folder, "key.pem"))).mode & 0o777).toBe(0o600);
    expect((await stat(join(folder, "cert.pem"))).mode & 0o777).toBe(0o644);
    expect(await readFile(join(folder, "cert.pem"), "utf8")).toBe("new");
    expect((await readdir(folder)).sort()).toEqual(["cert.pem", "key.pem"]);
  });

  it("should keep every old file when one file of a batch cannot be written", async () => {
    await using dir = await shmDir();
    await writeFile(join(dir.path, "a"), "old-a");
    await ensureDir(join(dir.path, "sub"));
    await writeFile(join(dir.path, "sub", "c"), "");
    // A folder where a file was expected: the second temporary file cannot be made.
    expect(() =>
      writeFilesAtomicInMemorySync([
        { path: join(dir.path, "a"), data: "new-a" },
        { path: join(dir.path, "sub", "c", "d"), data: "new-d" },
      ]),
    ).toThrow(/ENOTDIR/);
    expect(await readFile(join(dir.path, "a"), "utf8")).toBe("old-a");
    expect((await readdir(dir.path)).sort()).toEqual(["a", "sub"]);
  });

  it("should write nothing and say so where a folder is not a tmpfs", async () => {
    await using dir = await tempDir();
    if (await isMemoryBacked(dir.path)) throw new Error(`${tmpdir()} is a tmpfs here; this test needs a folder on disk`);
    expect(writeFilesAtomicInMemorySync([{ path: join(dir.path, "x"), data: "x" }])).toBe(false);
    expect(await readdir(dir.path)).toEqual([]);
  });
});
