// Puts the PKI on the volume: ca/ca.pem, and per service cert.pem (leaf then chain), key.pem
// (0600, or 0640 for its group) and ca.pem. Each folder is written in one atomic batch (temps,
// renames, one folder sync); folders are written concurrently.
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceConfig } from "../config/schema.js";
import { ensureDir, ensureDirSync, type PendingFile, writeFilesAtomic, writeFilesAtomicInMemorySync } from "../fs/atomic-write.js";
import { isMemoryBackedSync } from "../fs/memory-backed.js";
import { ensureServiceDir, publicFileOptions, secretFileOptions, serviceDirOptions } from "../fs/service-dir.js";
import { caBundlePath, caDir, SERVICE_FILES, serviceDir } from "../volume/layout.js";
import { recordPendingReloads } from "../volume/pending-reloads.js";

export interface ServiceWrite {
  service: ServiceConfig;
  /** Leaf then chain; absent when the leaf is kept or lives elsewhere (the gateway's). */
  certPem?: string;
  keyPem?: string;
  /** Absent when the copy on the volume is already current. */
  caPem?: string;
  /** Files to remove: a key that must no longer be on the volume. */
  remove?: string[];
  /**
   * Replaces a leaf this boot's CA issued, which the service's running server may hold: its
   * `reload` is journalled before anything is written (src/volume/pending-reloads.ts).
   */
  reissue?: boolean;
}

export async function writeCaBundle(secretsDir: string, bundlePem: string): Promise<void> {
  // The trust bundle is public: every service and every user may read it.
  await ensureDir(caDir(secretsDir), { mode: 0o755 });
  await writeFilesAtomic([{ path: caBundlePath(secretsDir), data: bundlePem, mode: 0o644 }]);
}

function filesOf(dir: string, write: ServiceWrite): PendingFile[] {
  const files: PendingFile[] = [];
  // The key first: a reader that sees the new cert.pem then finds its key already there.
  if (write.keyPem !== undefined) files.push({ path: join(dir, SERVICE_FILES.key), data: write.keyPem, ...secretFileOptions(write.service) });
  if (write.certPem !== undefined) files.push({ path: join(dir, SERVICE_FILES.cert), data: write.certPem, ...publicFileOptions(write.service) });
  if (write.caPem !== undefined) files.push({ path: join(dir, SERVICE_FILES.ca), data: write.caPem, ...publicFileOptions(write.service) });
  return files;
}

async function writeService(secretsDir: string, write: ServiceWrite): Promise<void> {
  const dir = await ensureServiceDir(secretsDir, write.service);
  const files = filesOf(dir, write);
  if (files.length > 0) await writeFilesAtomic(files);
  await Promise.all((write.remove ?? []).map((name) => rm(join(dir, name), { force: true })));
}

/** The same on a tmpfs, with synchronous calls; a folder that is not (a mount) falls back. */
async function writeServiceInMemory(secretsDir: string, write: ServiceWrite): Promise<void> {
  const dir = serviceDir(secretsDir, write.service.name);
  ensureDirSync(dir, serviceDirOptions(write.service));
  const files = filesOf(dir, write);
  if (files.length > 0 && !writeFilesAtomicInMemorySync(files)) await writeFilesAtomic(files);
  for (const name of write.remove ?? []) rmSync(join(dir, name), { force: true });
}

export async function writeServices(secretsDir: string, writes: readonly ServiceWrite[]): Promise<void> {
  await recordPendingReloads(
    secretsDir,
    writes.filter((w) => w.reissue === true && w.service.reload !== undefined).map((w) => w.service.name),
  );
  // On the secrets volume (a tmpfs) 200 folders cost ~600 round trips to libuv's pool done
  // concurrently, more than the same system calls made one after the other.
  if (isMemoryBackedSync(secretsDir)) {
    for (const w of writes) await writeServiceInMemory(secretsDir, w);
    return;
  }
  await Promise.all(writes.map((w) => writeService(secretsDir, w)));
}
