// One-time enrollment tokens (`bootgate token --enroll <service>`): HS256 JWTs with `sub` = the
// service, a random `jti` recorded in Vault (enroll-store.ts) so the token is used once, and an
// audience no other bootgate token carries.
import { randomBytes } from "node:crypto";
import type { EnrollKey, EnrollStore } from "./enroll-store.js";
import { keyIdOf, signHs256, verifyHs256, type Verdict } from "./hs256.js";

export const ENROLL_AUDIENCE = "bootgate-enroll";
export const DEFAULT_ENROLL_TTL_MS = 15 * 60_000;

export interface EnrollClaims {
  sub: string;
  jti: string;
  exp: number;
}

export async function makeEnrollToken(
  store: EnrollStore,
  service: string,
  ttlMs: number,
  nowMs = Date.now(),
): Promise<{ token: string; jti: string; expiresAtMs: number }> {
  const key = await store.ensureKey();
  const jti = randomBytes(16).toString("base64url");
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + Math.max(1, Math.floor(ttlMs / 1000));
  // Recorded first: a token is never out before Vault knows it.
  await store.recordToken(jti, service, exp * 1000);
  return { token: signHs256(key.secret, { aud: ENROLL_AUDIENCE, sub: service, jti, iat, exp }, key.keyId), jti, expiresAtMs: exp * 1000 };
}

/** Signature, audience, expiry and shape; the one use is the store's (useToken). */
export function checkEnrollToken(token: string, key: EnrollKey, nowMs: number): Verdict<EnrollClaims> {
  const kid = keyIdOf(token);
  if (kid !== undefined && kid !== key.keyId) return { ok: false, reason: "signed with an unknown key" };
  const verdict = verifyHs256(token, key.secret, { audience: ENROLL_AUDIENCE, nowMs });
  if (!verdict.ok) return verdict;
  const { sub, jti, exp } = verdict.claims;
  if (typeof sub !== "string" || sub === "" || typeof jti !== "string" || jti === "") return { ok: false, reason: "no subject or token id" };
  return { ok: true, claims: { sub, jti, exp } };
}
