import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keyringPath } from "../../../src/volume/layout.js";
import { markVaultReadySeen, setAsideUnfinishedFirstBoot } from "../../../src/vault/unfinished-first-boot.js";
import { tempDir } from "../../support/tmp-dir.js";

async function storageIn(dir: string) {
  const bao = join(dir, "openbao");
  await mkdir(join(bao, "data", "raft"), { recursive: true });
  await writeFile(join(bao, "data", "vault.db"), "x");
  return bao;
}

describe("storage of a first boot that never opened vault-ready", () => {
  it("should be moved aside, whole, before OpenBao starts on it again", async () => {
    await using dir = await tempDir();
    const bao = await storageIn(dir.path);
    const aside = await setAsideUnfinishedFirstBoot(bao, join(dir.path, "state"));
    expect(aside).toMatch(/openbao\/interrupted-/);
    expect((await readdir(join(aside!, "data"))).sort()).toEqual(["raft", "vault.db"]);
    expect((await readdir(bao)).filter((f) => f === "data")).toEqual([]);
  });

  it("should stay where it is once a vault-ready was seen", async () => {
    await using dir = await tempDir();
    const bao = await storageIn(dir.path);
    await markVaultReadySeen(bao);
    expect(await setAsideUnfinishedFirstBoot(bao, join(dir.path, "state"))).toBeUndefined();
  });

  it("should stay where it is when a keyring holds key shares for it", async () => {
    await using dir = await tempDir();
    const bao = await storageIn(dir.path);
    const state = join(dir.path, "state");
    await mkdir(join(state, "vault"), { recursive: true });
    await writeFile(keyringPath(state), "{}");
    expect(await setAsideUnfinishedFirstBoot(bao, state)).toBeUndefined();
  });

  it("should do nothing where there is no storage or an empty one", async () => {
    await using dir = await tempDir();
    expect(await setAsideUnfinishedFirstBoot(join(dir.path, "openbao"), dir.path)).toBeUndefined();
    await mkdir(join(dir.path, "openbao", "data"), { recursive: true });
    expect(await setAsideUnfinishedFirstBoot(join(dir.path, "openbao"), dir.path)).toBeUndefined();
  });
});
