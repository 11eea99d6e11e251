// Compact HS256 JWTs (RFC 7519) for enrollment: the one-time tokens (key kept in Vault) and the
// PSK-signed statements (key derived from the PSK). Verification checks the signature before it
// reads a claim, and the caller's audience, so a token made for one purpose never passes for another.
import { openCompactHs256, signCompactHs256 } from "../util/compact-hs256.js";

export type Claims = Record<string, unknown> & { aud: string; iat: number; exp: number };

export type Verdict<T> = { ok: true; claims: T } | { ok: false; reason: string };

export function signHs256(key: Uint8Array, claims: Claims, keyId?: string): string {
  return signCompactHs256(key, keyId ? { kid: keyId } : {}, claims);
}

/** The header's `kid` without checking anything: only to pick the key to verify with. */
export function keyIdOf(token: string): string | undefined {
  try {
    const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid?: unknown };
    return typeof header.kid === "string" ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

export function verifyHs256(token: string, key: Uint8Array, options: { audience: string; nowMs: number }): Verdict<Claims> {
  const opened = openCompactHs256<Claims>(token, key);
  if (!opened.ok) return opened;
  const { claims } = opened;
  if (claims.aud !== options.audience) return { ok: false, reason: `made for another purpose (audience \`${String(claims.aud)}\`)` };
  const now = Math.floor(options.nowMs / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired" };
  if (typeof claims.iat === "number" && claims.iat > now + 60) return { ok: false, reason: "issued in the future" };
  return { ok: true, claims: claims as Claims };
}
