// What enrollment keeps in Vault (KV v2 under bootgate's own folder, which no service policy
// reaches): the one-time tokens' signing key, and one record per token's `jti`. A token is used
// by a check-and-set write on its record: of two uses at once, Vault lets exactly one through.
export interface EnrollKey {
  /** 32 random bytes. */
  secret: Buffer;
  keyId: string;
}

export type UseVerdict = { ok: true } | { ok: false; reason: string };

export interface EnrollStore {
  /** The signing key, made (with a check-and-set, so two makers agree) when there is none. */
  ensureKey(): Promise<EnrollKey>;
  readKey(): Promise<EnrollKey | undefined>;
  /** Records a new token; refuses a `jti` that exists. */
  recordToken(jti: string, service: string, expiresAtMs: number): Promise<void>;
  /** Marks the token used, once: unknown, used, or raced by another use is a refusal. */
  useToken(jti: string, service: string, nowMs: number): Promise<UseVerdict>;
  /**
   * Removes the records of tokens that expired before `beforeMs`, used or not: an expired token
   * is refused by its own `exp` whether its record is there or not. Returns how many went.
   */
  tidyTokens(beforeMs: number): Promise<number>;
}

export const ENROLL_KEY_PATH = "bootgate/enroll/key";
export const enrollTokenPath = (jti: string) => `bootgate/enroll/tokens/${jti}`;
