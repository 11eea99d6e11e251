// `bootgate snapshot save|restore`: a raft snapshot taken and installed with bootgate's own
// identity (the IKM: no root token exists), encrypted at rest (snapshot-envelope.ts), kept in
// `vault.snapshots.dir` (the newest `vault.snapshots.keep`). A file is opened and checked in full
// before Vault is asked anything, so a refused one restores nothing.
import { readdir, readFile, rm } from "node:fs/promises";
import { dirname, join, relative, isAbsolute, basename } from "node:path";
import type { Config } from "../../config/normalize.js";
import { ConfigError, UsageError } from "../../errors.js";
import { ensureDir, writeFileAtomic } from "../../fs/atomic-write.js";
import { caBundlePath } from "../../volume/layout.js";
import { deriveIdentityKey, deriveSnapshotKey, deriveStackId } from "../derived-keys.js";
import { loginAsBootgate } from "../identity.js";
import { loadIkm } from "../ikm.js";
import { sealKeyIds } from "../server-boot-config.js";
import { revokeSelf } from "../tokens.js";
import { vaultClientFor } from "../vault-client.js";
import { onActiveRaftNode, type OnActiveNode } from "./active-raft-endpoint.js";
import { fetchRaftSnapshot, installRaftSnapshot, type RaftEndpoint } from "./raft-snapshot-api.js";
import { openSnapshot, sealSnapshot, SnapshotRefused, type SnapshotHeader } from "./snapshot-envelope.js";

export const SNAPSHOT_FILE_PATTERN = /^vault-snapshot-\d{8}T\d{6}(\d{3})?Z\.bgsnap$/;
const snapshotFileName = (at: Date) => `vault-snapshot-${at.toISOString().replace(/[-:]/g, "").replace(".", "")}.bgsnap`;

interface Keys {
  snapshotKey: Buffer;
  stackId: string;
  identity: ReturnType<typeof deriveIdentityKey>;
}

async function keysFrom(config: Config): Promise<Keys> {
  const ikm = await loadIkm(config);
  try {
    return { snapshotKey: deriveSnapshotKey(ikm), stackId: deriveStackId(ikm), identity: deriveIdentityKey(ikm) };
  } finally {
    ikm.fill(0);
  }
}

/**
 * Logs in as bootgate (the token lives in memory only, for this one command) and runs `work` on
 * the active node of a cluster (active-raft-endpoint.ts), whichever node vault.address names.
 */
async function asBootgate<T>(
  config: Config,
  keys: Keys,
  what: string,
  work: (endpoint: RaftEndpoint) => Promise<T>,
  options: { revoke: boolean },
): Promise<OnActiveNode<T>> {
  const plain = await vaultClientFor(config);
  let token: string;
  try {
    const login = await loginAsBootgate(plain, keys.identity);
    if (!login.ok) throw new Error(`Vault at ${config.vault.address} refused bootgate's login (${login.reason}): ${login.detail}`);
    token = login.token;
  } finally {
    plain.close();
  }
  const caPem = await readFile(caBundlePath(config.secretsDir));
  try {
    return await onActiveRaftNode(config, { caPem, serverName: config.vault.service, token }, what, work);
  } finally {
    if (options.revoke) {
      const client = await vaultClientFor(config, token);
      await revokeSelf(client).catch(() => {});
      client.close();
    }
  }
}

const isInside = (path: string, dir: string) => {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

export interface SavedSnapshot {
  file: string;
  header: SnapshotHeader;
  bytes: number;
  /** Older files removed to keep `vault.snapshots.keep`. */
  pruned: string[];
  /** The node that gave it: a cluster's active node. */
  node: string;
}

export async function saveVaultSnapshot(config: Config, options: { out?: string; now?: Date } = {}): Promise<SavedSnapshot> {
  const at = options.now ?? new Date();
  const file = options.out ?? join(config.vault.snapshots.dir, snapshotFileName(at));
  if (isInside(file, config.secretsDir))
    throw new UsageError(`Expected --out outside the secrets volume ${config.secretsDir} (a tmpfs, emptied at every boot), got ${file}`);
  const keys = await keysFrom(config);
  try {
    const { value: archive, address: node } = await asBootgate(config, keys, "take a raft snapshot", (endpoint) => fetchRaftSnapshot(endpoint), {
      revoke: true,
    });
    const header = { stackId: keys.stackId, sealKeyId: config.vault.sealKeyId, createdAt: at.toISOString() };
    const sealed = sealSnapshot(archive, keys.snapshotKey, header);
    await ensureDir(dirname(file), { mode: 0o700 });
    await writeFileAtomic(file, sealed, { mode: 0o600 });
    const pruned = options.out === undefined ? await prune(config.vault.snapshots.dir, config.vault.snapshots.keep) : [];
    return { file, header: { v: 1, ...header, size: archive.length }, bytes: sealed.length, pruned, node };
  } finally {
    keys.snapshotKey.fill(0);
  }
}

async function prune(dir: string, keep: number): Promise<string[]> {
  // The names sort by time: the oldest first.
  const names = (await readdir(dir)).filter((n) => SNAPSHOT_FILE_PATTERN.test(n)).sort();
  const gone = names.slice(0, Math.max(0, names.length - keep)).map((n) => join(dir, n));
  for (const f of gone) await rm(f, { force: true });
  return gone;
}

/** Opens and checks the file; a refusal is a ConfigError naming it (exit 2), and nothing is restored. */
export async function restoreVaultSnapshot(config: Config, file: string): Promise<SnapshotHeader & { node: string }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new UsageError(`Expected a readable snapshot file, got ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
  const keys = await keysFrom(config);
  let opened;
  try {
    opened = openSnapshot(bytes, keys.snapshotKey, { stackId: keys.stackId, sealKeyIds: sealKeyIds(config) });
  } catch (error) {
    if (error instanceof SnapshotRefused) throw new ConfigError(file, [{ path: basename(file), message: error.message }], { cause: error });
    throw error;
  } finally {
    keys.snapshotKey.fill(0);
  }
  // The token is the fresh cluster's: the archive replaces its storage, token store included.
  const { address } = await asBootgate(config, keys, "restore a raft snapshot", (endpoint) => installRaftSnapshot(endpoint, opened.archive, true), {
    revoke: false,
  });
  return { ...opened.header, node: address };
}
