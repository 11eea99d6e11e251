// The services whose reissued leaf is (or is about to be) on the volume while their running
// server may still hold the old one. A run records them before it writes the leaves and forgets
// them only once their `reload` went out: a kill between the writes and the signal would
// otherwise lose the reload for good, because the next run finds the new leaf current, keeps it,
// and has nothing to report as reissued. A reload sent twice costs a server one re-read of
// files it already has; one never sent leaves it serving a leaf this boot replaced.
// On the secrets volume, so a reboot (which restarts every container) forgets them too.
import { readFile, rm } from "node:fs/promises";
import { ensureDir, writeFileAtomic } from "../fs/atomic-write.js";
import { bootgateDir, pendingReloadsPath } from "./layout.js";

interface Journal {
  services: string[];
}

export async function pendingReloads(secretsDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(pendingReloadsPath(secretsDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  // Written atomically by this module alone: anything else is a bug worth stopping on.
  const parsed = JSON.parse(text) as Partial<Journal>;
  if (!Array.isArray(parsed.services) || !parsed.services.every((s) => typeof s === "string")) {
    throw new Error(`${pendingReloadsPath(secretsDir)} is not a list of services`);
  }
  return parsed.services;
}

async function save(secretsDir: string, services: readonly string[]): Promise<void> {
  if (services.length === 0) {
    await rm(pendingReloadsPath(secretsDir), { force: true });
    return;
  }
  await ensureDir(bootgateDir(secretsDir), { mode: 0o700, uid: 0, gid: 0 });
  const journal: Journal = { services: [...services].sort() };
  await writeFileAtomic(pendingReloadsPath(secretsDir), `${JSON.stringify(journal)}\n`, { mode: 0o600 });
}

/** Adds services to the journal; call before their new leaves are written. */
export async function recordPendingReloads(secretsDir: string, services: readonly string[]): Promise<void> {
  if (services.length === 0) return;
  const current = await pendingReloads(secretsDir);
  const next = [...new Set([...current, ...services])];
  if (next.length !== current.length) await save(secretsDir, next);
}

/** Removes services whose reload went out (or that no longer need one). */
export async function settlePendingReloads(secretsDir: string, services: readonly string[]): Promise<void> {
  const current = await pendingReloads(secretsDir);
  const next = current.filter((s) => !services.includes(s));
  if (next.length !== current.length) await save(secretsDir, next);
}
