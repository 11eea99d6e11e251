// The two things a PSK-derived key signs, each with its own audience so neither passes for the
// other: the bundle statement in `GET /ca/cert` (public: it names the bundle's SHA-256), and the
// short-lived request a PSK holder sends to `POST /ca/sign` in place of a one-time token.
import { randomBytes } from "node:crypto";
import { signHs256, verifyHs256, type Verdict } from "./hs256.js";

export const BUNDLE_AUDIENCE = "bootgate-ca-bundle";
export const PSK_SIGN_AUDIENCE = "bootgate-enroll-psk";
const STATEMENT_TTL_S = 300;
const PSK_REQUEST_TTL_S = 60;

export function signBundleStatement(key: Uint8Array, bundleSha256: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  return signHs256(key, { aud: BUNDLE_AUDIENCE, bundle_sha256: bundleSha256, iat, exp: iat + STATEMENT_TTL_S });
}

export function checkBundleStatement(jwt: string, key: Uint8Array, nowMs: number): Verdict<{ bundleSha256: string }> {
  const verdict = verifyHs256(jwt, key, { audience: BUNDLE_AUDIENCE, nowMs });
  if (!verdict.ok) return verdict;
  const sha = verdict.claims.bundle_sha256;
  return typeof sha === "string" && /^[0-9a-f]{64}$/.test(sha)
    ? { ok: true, claims: { bundleSha256: sha } }
    : { ok: false, reason: "no bundle hash in the statement" };
}

export function signPskRequest(key: Uint8Array, service: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  return signHs256(key, { aud: PSK_SIGN_AUDIENCE, sub: service, jti: randomBytes(12).toString("base64url"), iat, exp: iat + PSK_REQUEST_TTL_S });
}

export function checkPskRequest(jwt: string, key: Uint8Array, nowMs: number): Verdict<{ sub: string; jti: string; exp: number }> {
  const verdict = verifyHs256(jwt, key, { audience: PSK_SIGN_AUDIENCE, nowMs });
  if (!verdict.ok) return verdict;
  const { sub, jti, exp } = verdict.claims;
  if (typeof sub !== "string" || typeof jti !== "string") return { ok: false, reason: "no subject or request id" };
  if (exp - Math.floor(nowMs / 1000) > PSK_REQUEST_TTL_S + 5) return { ok: false, reason: "a PSK request valid for longer than a minute" };
  return { ok: true, claims: { sub, jti, exp } };
}
