// What OpenBao needs from bootgate before it starts, written at each boot beside its TLS
// certificate in the vault service's folder on the secrets tmpfs (so it is there when
// pki-ready opens, and gone at the next boot):
//   seal-<id>.key   the static seal key of generation `vault.sealKeyId` (and the one before it,
//                   as previous_key, so a bumped id rewraps Vault's keys), 0600, Vault's uid
//   openbao.json    a config file for `bao server -config=…` beside the deployment's own: the
//                   `seal "static"` stanza and the `initialize` stanza of self-initialization
//                   (bootgate's identity: only its PUBLIC key). For shamir/auto: `{}`.
// Everything in it is derived from the IKM and the config, so every boot writes the same bytes.
import { readdir, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { SEAL_KEY_PATTERN, sealKeyFile, vaultBootConfigFile } from "../volume/layout.js";
import type { Config } from "../config/normalize.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { isMemoryBacked } from "../fs/memory-backed.js";
import { ensureServiceDir } from "../fs/service-dir.js";
import { deriveIdentityKey, deriveSealKey } from "./derived-keys.js";
import { identityRequests, type VaultRequest } from "./identity.js";
import { loadIkm } from "./ikm.js";

export { VAULT_BOOT_CONFIG_FILE as BOOT_CONFIG_FILE } from "../volume/layout.js";

export const vaultBootConfigPath = (config: Config) => vaultBootConfigFile(config.secretsDir, config.vault.service);
export const sealKeyPath = (config: Config, id: number) => sealKeyFile(config.secretsDir, config.vault.service, id);
export const sealKeyIdLabel = (id: number) => `bootgate-${id}`;

/** The seal generations the server config names: the current one, and the one before it. */
export function sealKeyIds(config: Config): number[] {
  const id = config.vault.sealKeyId;
  return id > 1 ? [id, id - 1] : [id];
}

const asInitializeRequest = (r: VaultRequest) => ({ [r.name]: { operation: r.operation, path: r.path, data: r.data } });

export function vaultBootConfig(config: Config, publicKeyPem: string): Record<string, unknown> {
  if (config.vault.seal !== "static") return {};
  const [current, previous] = sealKeyIds(config);
  const seal: Record<string, string> = {
    current_key_id: sealKeyIdLabel(current!),
    current_key: `file://${sealKeyPath(config, current!)}`,
  };
  if (previous !== undefined) {
    seal.previous_key_id = sealKeyIdLabel(previous);
    seal.previous_key = `file://${sealKeyPath(config, previous)}`;
  }
  return {
    seal: { static: seal },
    initialize: [{ bootgate: { request: identityRequests(config.vault.kvMount, { publicKeyPem }, config.vault.pkiMount).map(asInitializeRequest) } }],
  };
}

export interface BootFilesResult {
  configFile: string;
  sealKeys: number;
  /** False where the secrets folder is not a tmpfs (up --local not as root). */
  inMemory: boolean;
}

/** Writes into the vault service's folder; the caller checks that the service is declared. */
export async function writeVaultBootFiles(config: Config): Promise<BootFilesResult> {
  const service = config.services.find((s) => s.name === config.vault.service);
  if (!service) throw new Error(`no service \`${config.vault.service}\` (vault.service) to write OpenBao's seal key and boot config for`);
  const dir = await ensureServiceDir(config.secretsDir, service);
  const owner = { uid: service.uid, gid: service.gid };
  const configFile = vaultBootConfigPath(config);
  if (config.vault.seal !== "static") {
    await writeFileAtomic(configFile, "{}\n", { mode: 0o600, ...owner });
    return { configFile, sealKeys: 0, inMemory: await isMemoryBacked(dir) };
  }
  const ikm = await loadIkm(config);
  const ids = sealKeyIds(config);
  let publicKeyPem: string;
  try {
    publicKeyPem = deriveIdentityKey(ikm).publicKeyPem;
    for (const id of ids) {
      const key = deriveSealKey(ikm, id);
      try {
        await writeFileAtomic(sealKeyPath(config, id), key, { mode: 0o600, ...owner });
      } finally {
        key.fill(0);
      }
    }
  } finally {
    ikm.fill(0);
  }
  // A key two generations back opens nothing Vault still holds: it does not stay on the volume.
  const keep = new Set(ids.map((id) => basename(sealKeyPath(config, id))));
  for (const name of await readdir(dir)) if (SEAL_KEY_PATTERN.test(name) && !keep.has(name)) await rm(join(dir, name), { force: true });
  await writeFileAtomic(configFile, JSON.stringify(vaultBootConfig(config, publicKeyPem), null, 2) + "\n", { mode: 0o600, ...owner });
  return { configFile, sealKeys: ids.length, inMemory: await isMemoryBacked(dir) };
}
