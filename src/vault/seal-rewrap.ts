// After vault.sealKeyId is bumped, Vault unseals with the previous key and should re-encrypt
// its stored root key with the new one. OpenBao 2.7 skips that when there are no recovery keys
// — as after self-initialization (openbao/openbao#3996) — so the old key could never be dropped.
// A root key rotation (sys/rotate/root) writes the stored key again with the current seal key;
// bootgate asks for one per seal generation and records it in its own KV bookkeeping.
import type { Config } from "../config/normalize.js";
import { NodeVaultKvClient } from "./node-vault-kv-client.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall } from "./vault-errors.js";

export const SEAL_RECORD_KEY = "_bootgate/seal";

/** True when it rewrapped now. */
export async function rewrapForSealGeneration(admin: VaultClient, config: Config): Promise<boolean> {
  if (config.vault.seal !== "static" || config.vault.sealKeyId === 1) return false;
  const kv = new NodeVaultKvClient(admin, config.vault.kvMount);
  const record = await kv.read(SEAL_RECORD_KEY);
  if (record?.rewrappedFor === config.vault.sealKeyId) return false;
  await vaultCall(admin.address, "sys/rotate/root", () => admin.api.write("sys/rotate/root", {}));
  await kv.write(SEAL_RECORD_KEY, { rewrappedFor: config.vault.sealKeyId, at: new Date().toISOString() });
  return true;
}
