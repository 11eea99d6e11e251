// What `up --local` prepares before a boot that a real deployment gets from its operator:
// the keyring's input key material and the PostgreSQL admin password.
//
// The admin password is never stored: it is derived from the IKM with HKDF (its own label), and
// written for each boot to bootgate's folder on the tmpfs secrets volume, where initdb (first
// boot) and db-seed read it. So the IKM stays the one secret of the local stack on disk.
import { hkdfSync, randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { dirname, relative } from "node:path";
import type { Config } from "../config/normalize.js";
import { ensureDir, writeFileAtomic } from "../fs/atomic-write.js";
import { loadIkm } from "../vault/ikm.js";
import { localAdminPasswordPath } from "../volume/layout.js";
import { pathExists } from "../util/path-exists.js";

/** The local default keeps its IKM in a 0600 file in the state folder; made once. */
export async function ensureLocalIkm(config: Config): Promise<"created" | "kept" | "hook"> {
  const ikm = config.vault.ikm;
  if (!ikm || !("file" in ikm)) return "hook";
  if (await pathExists(ikm.file)) return "kept";
  await mkdir(dirname(ikm.file), { recursive: true, mode: 0o700 });
  await writeFileAtomic(ikm.file, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  return "created";
}

/**
 * Writes the derived admin password where the config expects it — when that is on the secrets
 * volume; an operator's own file elsewhere is used as it is.
 */
export async function writeDerivedAdminPassword(config: Config): Promise<string> {
  const configured = config.postgres.admin.passwordFile;
  const inVolume = (p: string) => p.startsWith(config.secretsDir + "/");
  if (configured && !inVolume(configured)) return configured;
  const ikm = await loadIkm(config);
  let password: string;
  try {
    password = Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), "bootgate local postgres admin", 32)).toString("base64url");
  } finally {
    ikm.fill(0);
  }
  const file = configured ?? localAdminPasswordPath(config.secretsDir);
  // In a service's own folder (compose: the postgres container runs initdb as its own user) the
  // file belongs to that service, as everything else in the folder does.
  const folder = relative(config.secretsDir, dirname(file));
  const service = config.services.find((s) => s.name === folder);
  const owner = service ? { uid: service.uid, gid: service.gid } : {};
  await ensureDir(dirname(file), { mode: 0o700, ...owner });
  await writeFileAtomic(file, password, { mode: 0o600, ...owner });
  return file;
}
