// A first boot cut off by a crash can leave OpenBao storage that nothing can ever use: raft
// bootstrapped but never initialized (OpenBao refuses it: "cluster already has state"), a
// self-initialization interrupted (it refuses to unseal), or initialized without bootgate's
// login. Before a Vault has once opened `vault-ready` it holds nothing worth keeping (no
// secret is written before that gate), so where bootgate owns the storage folder (up --local,
// the tests) it marks the first `vault-ready` beside the storage, and before starting OpenBao
// sets aside — moves, never deletes — storage that never got that mark. A Vault with a keyring
// (shamir/auto: its key shares are bootgate's, and so is the decision) is never touched.
import { mkdir, readdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathExists } from "../util/path-exists.js";
import { keyringPath } from "../volume/layout.js";

const MARK = "vault-ready-seen";

const storageOf = (baoDir: string) => join(baoDir, "data");

export async function markVaultReadySeen(baoDir: string): Promise<void> {
  if (await pathExists(join(baoDir, MARK))) return;
  await writeFile(join(baoDir, MARK), `${new Date().toISOString()}\n`, { mode: 0o600 });
}

/** Where the storage went, or undefined when it was left as it is. */
export async function setAsideUnfinishedFirstBoot(baoDir: string, stateDir: string): Promise<string | undefined> {
  const storage = storageOf(baoDir);
  const entries = await readdir(storage).catch(() => [] as string[]);
  if (entries.length === 0) return undefined;
  if (await pathExists(join(baoDir, MARK))) return undefined;
  if (await pathExists(keyringPath(stateDir))) return undefined;
  const aside = join(baoDir, `interrupted-${new Date().toISOString().replace(/[:.]/g, "-")}`);
  await mkdir(aside, { mode: 0o700 });
  await rename(storage, join(aside, "data"));
  return aside;
}
