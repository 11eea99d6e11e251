// First boot: initialize Vault, and put its key shares into the encrypted keyring BEFORE any of
// them is used — a crash after init but before the keyring is on disk would lose the Vault.
// The root token from init is handed back in memory only.
import type { KeyringSecrets } from "./keyring.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall } from "./vault-errors.js";

export interface InitOptions {
  seal: "shamir" | "auto";
  shares: number;
  threshold: number;
  /** Persists the shares; must resolve only once they are safely on disk. */
  persist(secrets: KeyringSecrets): Promise<void>;
}

interface InitResponse {
  keys_base64?: string[];
  recovery_keys_base64?: string[];
  root_token: string;
}

export async function initializeVault(client: VaultClient, options: InitOptions): Promise<{ secrets: KeyringSecrets; rootToken: string }> {
  const body =
    options.seal === "auto"
      ? { recovery_shares: options.shares, recovery_threshold: options.threshold }
      : { secret_shares: options.shares, secret_threshold: options.threshold };
  const response = (await vaultCall(client.address, "sys/init", () => client.api.write("sys/init", body))) as InitResponse;
  const keys = options.seal === "auto" ? response.recovery_keys_base64 : response.keys_base64;
  if (!keys || keys.length === 0) {
    throw new Error(
      `Vault at ${client.address}: sys/init returned no ${options.seal === "auto" ? "recovery" : "unseal"} keys (is vault.seal \`${options.seal}\` what the server is configured with?)`,
    );
  }
  const secrets: KeyringSecrets = {
    kind: options.seal === "auto" ? "recovery" : "unseal",
    keysB64: keys,
    shares: options.shares,
    threshold: options.threshold,
    createdAt: new Date().toISOString(),
  };
  await options.persist(secrets);
  return { secrets, rootToken: response.root_token };
}
