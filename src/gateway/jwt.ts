// HS256 JWTs (RFC 7519) for the gateway. HS256 because both gateways check it natively: Kong's
// JWT plugin with a consumer credential, nginx with the njs verifier in src/gateway/njs-auth.ts.
// `iss` is the credential key Kong looks up (its default key_claim_name), so both agree.
import { createHmac, timingSafeEqual } from "node:crypto";

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

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export function signJwt(key: JwtKey, claims: { sub: string; iss: string; ttlMs: number; nowMs?: number }): string {
  const now = Math.floor((claims.nowMs ?? Date.now()) / 1000);
  const header = { alg: "HS256", typ: "JWT", kid: key.keyId };
  const payload: JwtClaims = { sub: claims.sub, iss: claims.iss, iat: now, nbf: now, exp: now + Math.max(1, Math.floor(claims.ttlMs / 1000)) };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${hmac(key, signingInput)}`;
}

export type JwtVerdict = { ok: true; claims: JwtClaims } | { ok: false; reason: string };

export function verifyJwt(token: string, key: JwtKey, options: { issuer: string; nowMs?: number }): JwtVerdict {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "not a compact JWT" };
  const [h, p, s] = parts as [string, string, string];
  const expected = Buffer.from(hmac(key, `${h}.${p}`));
  const given = Buffer.from(s);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "bad signature" };
  let header: { alg?: unknown };
  let claims: Partial<JwtClaims>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Partial<JwtClaims>;
  } catch {
    return { ok: false, reason: "unreadable header or claims" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: "unexpected algorithm" };
  const now = Math.floor((options.nowMs ?? Date.now()) / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired" };
  if (typeof claims.nbf === "number" && claims.nbf > now + 60) return { ok: false, reason: "not yet valid" };
  if (claims.iss !== options.issuer) return { ok: false, reason: "wrong issuer" };
  if (typeof claims.sub !== "string" || claims.sub === "") return { ok: false, reason: "no subject" };
  return { ok: true, claims: claims as JwtClaims };
}

function hmac(key: JwtKey, input: string): string {
  return createHmac("sha256", Buffer.from(key.secret, "base64url")).update(input).digest("base64url");
}
