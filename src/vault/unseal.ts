// Every boot with a Shamir seal: feed key shares until Vault reports itself unsealed.
import type { SealStatus } from "./seal-status.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall } from "./vault-errors.js";

export async function unsealVault(client: VaultClient, keysB64: readonly string[], status: SealStatus): Promise<SealStatus> {
  const { api, address } = client;
  // Shares left by someone else's half-finished unseal would mix with ours; start over.
  if (status.progress > 0) await vaultCall(address, "sys/unseal (reset)", () => api.write("sys/unseal", { reset: true }));
  let current = status;
  for (const key of keysB64) {
    current = (await vaultCall(address, "sys/unseal", () => api.write("sys/unseal", { key }))) as SealStatus;
    if (!current.sealed) return current;
  }
  throw new Error(`Vault at ${address} is still sealed after ${keysB64.length} key shares from the keyring (it needs ${current.t})`);
}
