// Which token bootgate issued to whom, so a later boot can revoke it. Kept in Vault itself, in
// KV under `<mount>/_bootgate/tokens` — no policy grants that path (bootgate-init lists service
// folders one by one), so only a root token made for the stage reads or writes it. Nothing about
// earlier tokens is on disk.
import { NodeVaultKvClient } from "./node-vault-kv-client.js";
import type { VaultClient } from "./vault-client.js";

export const REGISTRY_KEY = "_bootgate/tokens";

export interface IssuedToken {
  accessor: string;
  bootId: string;
  issuedAt: string;
}

export interface TokenRegistry {
  /** The live token of each identity. */
  tokens: Record<string, IssuedToken>;
  /** Accessors replaced but not yet confirmed revoked (a run that died half-way leaves them here). */
  revoke: string[];
}

export async function readTokenRegistry(root: VaultClient, mount: string): Promise<TokenRegistry> {
  const data = (await new NodeVaultKvClient(root, mount).read(REGISTRY_KEY)) as Partial<TokenRegistry> | undefined;
  return { tokens: data?.tokens ?? {}, revoke: data?.revoke ?? [] };
}

export async function writeTokenRegistry(root: VaultClient, mount: string, registry: TokenRegistry): Promise<void> {
  await new NodeVaultKvClient(root, mount).write(REGISTRY_KEY, { ...registry });
}
