// The agent's own Vault login: a JWT signed with bootgate's identity key (never a root token),
// replaced by a new login once a third of its TTL (15 min, the role's) is left — checked when a
// client is asked for, which every renewal does — and at once after Vault refused it.
import type { Config } from "../config/normalize.js";
import type { IdentityKey } from "../vault/derived-keys.js";
import { loginAsBootgate } from "../vault/identity.js";
import { lookupSelf, revokeSelf } from "../vault/tokens.js";
import { type VaultClient, vaultClientFor } from "../vault/vault-client.js";
import type { Clock } from "./keyed-timers.js";

export interface VaultSession {
  /** A client logged in as bootgate; logs in first when there is none (or it ran out). */
  client(): Promise<VaultClient>;
  /** Vault refused the login's token: the next client() logs in again. */
  invalidate(): void;
  /** The login's expiry (ms since the epoch), when logged in. */
  expiresAt(): number | undefined;
  close(): Promise<void>;
}

/** Logs in again when this share of the token's TTL is left. */
const RELOGIN_AT = 1 / 3;

export function vaultSession(config: Config, key: IdentityKey, clock: Clock, requestTimeoutMs = 10_000): VaultSession {
  let current: { client: VaultClient; expiresAt: number; ttlMs: number } | undefined;
  let pending: Promise<VaultClient> | undefined;

  const drop = () => {
    const old = current;
    current = undefined;
    // The old login is revoked in the background: a refusal only means it is gone already.
    if (old)
      void revokeSelf(old.client)
        .catch(() => {})
        .finally(() => old.client.close());
  };

  const login = async (): Promise<VaultClient> => {
    const anonymous = await vaultClientFor(config, undefined, requestTimeoutMs);
    try {
      const result = await loginAsBootgate(anonymous, key);
      if (!result.ok) throw new Error(`cannot log in to Vault at ${config.vault.address} as bootgate (${result.reason}): ${result.detail}`);
      const client = await vaultClientFor(config, result.token, requestTimeoutMs);
      const self = await lookupSelf(client);
      const ttlMs = (self?.ttl ?? 900) * 1000;
      drop();
      current = { client, expiresAt: clock.now() + ttlMs, ttlMs };
      return client;
    } finally {
      anonymous.close();
    }
  };

  return {
    client: () => {
      if (current && clock.now() < current.expiresAt - current.ttlMs * RELOGIN_AT) return Promise.resolve(current.client);
      pending ??= login().finally(() => (pending = undefined));
      return pending;
    },
    invalidate: drop,
    expiresAt: () => current?.expiresAt,
    close: async () => {
      const old = current;
      current = undefined;
      if (!old) return;
      try {
        await revokeSelf(old.client);
      } catch {
        // Gone already, or Vault is down: the login runs out on its own within its TTL.
      } finally {
        old.client.close();
      }
    },
  };
}
