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

// Stored as one JSON string: Vault refuses request bodies with more than 1000 strings
// (max_request_json_strings), which a map of a few hundred tokens would pass.
export async function readTokenRegistry(root: VaultClient, mount: string): Promise<TokenRegistry> {
  const data = await new NodeVaultKvClient(root, mount).read(REGISTRY_KEY);
  const parsed = typeof data?.registry === "string" ? (JSON.parse(data.registry) as Partial<TokenRegistry>) : {};
  return { tokens: parsed.tokens ?? {}, revoke: parsed.revoke ?? [] };
}

export async function writeTokenRegistry(root: VaultClient, mount: string, registry: TokenRegistry): Promise<void> {
  await new NodeVaultKvClient(root, mount).write(REGISTRY_KEY, { registry: JSON.stringify(registry) });
}
