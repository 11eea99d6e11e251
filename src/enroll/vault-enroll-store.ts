// EnrollStore on Vault's KV v2, with the `cas` option (check-and-set) for every write that must
// not overwrite: the key's first version, a token's record, and its one use.
import { randomBytes } from "node:crypto";
import type { VaultClient } from "../vault/vault-client.js";
import { vaultCall, vaultStatusCode } from "../vault/vault-errors.js";
import { ENROLL_KEY_PATH, type EnrollKey, type EnrollStore, enrollTokenPath, type UseVerdict } from "./enroll-store.js";

interface Versioned {
  data: Record<string, unknown>;
  version: number;
}

/** Vault answers a failed check-and-set with 400 "check-and-set parameter did not match the current version". */
class CasMismatch extends Error {}

export function vaultEnrollStore(client: () => Promise<VaultClient>, mount: string): EnrollStore {
  const read = async (key: string): Promise<Versioned | undefined> => {
    const c = await client();
    const path = `${mount}/data/${key}`;
    try {
      const body = (await c.api.read(path)) as { data?: { data?: Record<string, unknown> | null; metadata?: { version?: number } } };
      const data = body.data?.data;
      return data ? { data, version: body.data?.metadata?.version ?? 0 } : undefined;
    } catch (error) {
      if (vaultStatusCode(error) === 404) return undefined;
      return vaultCall(c.address, `read ${path}`, () => Promise.reject(error));
    }
  };
  const writeCas = async (key: string, data: Record<string, unknown>, cas: number): Promise<void> => {
    const c = await client();
    const path = `${mount}/data/${key}`;
    try {
      await c.api.write(path, { options: { cas }, data });
    } catch (error) {
      if (vaultStatusCode(error) === 400 && /check-and-set/i.test((error as Error).message)) throw new CasMismatch();
      await vaultCall(c.address, `write ${path}`, () => Promise.reject(error));
    }
  };
  const keyOf = (data: Record<string, unknown>): EnrollKey => {
    const secret = typeof data.secret === "string" ? Buffer.from(data.secret, "base64url") : Buffer.alloc(0);
    if (secret.length < 32 || typeof data.key_id !== "string") throw new Error(`Vault ${ENROLL_KEY_PATH}: expected { secret: base64url of 32 bytes, key_id }`);
    return { secret, keyId: data.key_id };
  };

  const store: EnrollStore = {
    async readKey() {
      const found = await read(ENROLL_KEY_PATH);
      return found ? keyOf(found.data) : undefined;
    },
    async ensureKey() {
      const existing = await store.readKey();
      if (existing) return existing;
      const made = { secret: randomBytes(32).toString("base64url"), key_id: randomBytes(6).toString("hex"), created_at: new Date().toISOString() };
      try {
        await writeCas(ENROLL_KEY_PATH, made, 0);
        return keyOf(made);
      } catch (error) {
        if (!(error instanceof CasMismatch)) throw error;
        // Another maker won: its key is the one.
        return (await store.readKey())!;
      }
    },
    async recordToken(jti, service, expiresAtMs) {
      try {
        await writeCas(enrollTokenPath(jti), { service, expires_at: new Date(expiresAtMs).toISOString() }, 0);
      } catch (error) {
        if (error instanceof CasMismatch) throw new Error(`an enrollment token with id ${jti} exists already`);
        throw error;
      }
    },
    async useToken(jti, service, nowMs): Promise<UseVerdict> {
      const found = await read(enrollTokenPath(jti));
      if (!found) return { ok: false, reason: "unknown token (not made by `bootgate token --enroll` for this stack)" };
      if (found.data.service !== service) return { ok: false, reason: "token recorded for another service" };
      if (found.data.used_at !== undefined) return { ok: false, reason: `token already used (at ${String(found.data.used_at)})` };
      try {
        await writeCas(enrollTokenPath(jti), { ...found.data, used_at: new Date(nowMs).toISOString() }, found.version);
        return { ok: true };
      } catch (error) {
        if (error instanceof CasMismatch) return { ok: false, reason: "token already used (by a request at the same moment)" };
        throw error;
      }
    },
    async tidyTokens(beforeMs) {
      const c = await client();
      const folder = `${mount}/metadata/${enrollTokenPath("")}`;
      let keys: string[];
      try {
        keys = ((await c.api.list(folder)) as { data?: { keys?: string[] } }).data?.keys ?? [];
      } catch (error) {
        if (vaultStatusCode(error) === 404) return 0;
        return vaultCall(c.address, `list ${folder}`, () => Promise.reject(error));
      }
      let removed = 0;
      for (const jti of keys.filter((k) => !k.endsWith("/"))) {
        const found = await read(enrollTokenPath(jti));
        const expires = typeof found?.data.expires_at === "string" ? Date.parse(found.data.expires_at) : NaN;
        // A record whose expiry cannot be read stays: what it guards is not known.
        if (!Number.isFinite(expires) || expires >= beforeMs) continue;
        const path = `${mount}/metadata/${enrollTokenPath(jti)}`;
        await vaultCall(c.address, `delete ${path}`, () => c.api.delete(path));
        removed++;
      }
      return removed;
    },
  };
  return store;
}
