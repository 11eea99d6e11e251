// KV version 2 at the configured mount, enabled once; an existing mount of another kind is an error.
import { enableOnce } from "./resent-enable.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

interface MountInfo {
  type: string;
  options?: { version?: string } | null;
}

/** Returns true when it enabled the mount now. */
export async function ensureKvV2(client: VaultClient, mount: string): Promise<boolean> {
  const { api, address } = client;
  // One mount's own path: bootgate's policy reads that, not the whole table.
  let existing: MountInfo | undefined;
  try {
    const body = (await api.read(`sys/mounts/${mount}`)) as { data?: MountInfo } & MountInfo;
    existing = body.data ?? body;
  } catch (error) {
    // "No secret engine mount at …/"
    if (vaultStatusCode(error) !== 400) await vaultCall(address, `read sys/mounts/${mount}`, () => Promise.reject(error));
  }
  if (existing) {
    if (existing.type !== "kv" || existing.options?.version !== "2") {
      throw new Error(
        `Vault at ${address}: mount \`${mount}/\` is ${existing.type} version ${existing.options?.version ?? "1"}, expected kv version 2 (vault.kvMount)`,
      );
    }
    return false;
  }
  await enableOnce(
    client,
    `enable kv-v2 at ${mount}/`,
    () => api.write(`sys/mounts/${mount}`, { type: "kv", options: { version: "2" } }),
    async () => {
      const body = (await api.read(`sys/mounts/${mount}`)) as { data?: MountInfo } & MountInfo;
      const now = body.data ?? body;
      return now.type === "kv" && now.options?.version === "2";
    },
  );
  return true;
}
