// A command outside the boot (ca csr, ca install) logged in with bootgate's own identity (the
// IKM), as secretstore-setup is; the login is revoked when the work is done, whatever happened.
import type { Config } from "../config/normalize.js";
import { deriveIdentityKey } from "./derived-keys.js";
import { loginAsBootgate } from "./identity.js";
import { loadIkm } from "./ikm.js";
import { revokeSelf } from "./tokens.js";
import { type VaultClient, vaultClientFor } from "./vault-client.js";

/** bootgate's Ed25519 identity from the IKM; the IKM itself is zeroed as soon as the key is derived. */
export async function loadIdentityKey(config: Config): Promise<ReturnType<typeof deriveIdentityKey>> {
  const ikm = await loadIkm(config);
  try {
    return deriveIdentityKey(ikm);
  } finally {
    ikm.fill(0);
  }
}

export async function withBootgateLogin<T>(config: Config, work: (admin: VaultClient) => Promise<T>): Promise<T> {
  const client = await vaultClientFor(config);
  let token: string;
  try {
    const key = await loadIdentityKey(config);
    const login = await loginAsBootgate(client, key);
    if (!login.ok) throw new Error(`Vault at ${config.vault.address} refused bootgate's identity (${login.reason}): run \`bootgate run\` first`);
    token = login.token;
  } finally {
    client.close();
  }
  const admin = await vaultClientFor(config, token);
  try {
    return await work(admin);
  } finally {
    try {
      await revokeSelf(admin);
    } finally {
      admin.close();
    }
  }
}
