// HS256 JWTs (RFC 7519) for the gateway. HS256 because both gateways check it natively: Kong's
// JWT plugin with a consumer credential, nginx with the njs verifier in src/gateway/njs-auth.ts.
// `iss` is the credential key Kong looks up (its default key_claim_name), so both agree.
import { openCompactHs256, signCompactHs256 } from "../util/compact-hs256.js";

export interface JwtKey {
  /** base64url of 32 random bytes. */
  secret: string;
  algorithm: "HS256";
  /** A public handle for the key (Kong's credential key is the issuer, this is for logs). */
  keyId: string;
}

export interface JwtClaims {
  sub: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
}

const keyBytes = (key: JwtKey) => Buffer.from(key.secret, "base64url");

export function signJwt(key: JwtKey, claims: { sub: string; iss: string; ttlMs: number; nowMs?: number }): string {
  const now = Math.floor((claims.nowMs ?? Date.now()) / 1000);
  const payload: JwtClaims = { sub: claims.sub, iss: claims.iss, iat: now, nbf: now, exp: now + Math.max(1, Math.floor(claims.ttlMs / 1000)) };
  return signCompactHs256(keyBytes(key), { kid: key.keyId }, payload);
}

export type JwtVerdict = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

export function verifyJwt(token: string, key: JwtKey, options: { issuer: string; nowMs?: number }): JwtVerdict {
  const opened = openCompactHs256<JwtClaims>(token, keyBytes(key));
  if (!opened.ok) return opened;
  const { claims } = opened;
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired" };
  if (typeof claims.nbf === "number" && claims.nbf > now + 60) return { ok: false, reason: "not yet valid" };
  if (claims.iss !== options.issuer) return { ok: false, reason: "wrong issuer" };
  if (typeof claims.sub !== "string" || claims.sub === "") return { ok: false, reason: "no subject" };
  return { ok: true, claims: claims as JwtClaims };
}
