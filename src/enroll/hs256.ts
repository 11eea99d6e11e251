// Compact HS256 JWTs (RFC 7519) for enrollment: the one-time tokens (key kept in Vault) and the
// PSK-signed statements (key derived from the PSK). Verification checks the signature before it
// reads a claim, and the caller's audience, so a token made for one purpose never passes for another.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Claims = Record<string, unknown> & { aud: string; iat: number; exp: number };

export type Verdict<T> = { ok: true; claims: T } | { ok: false; reason: string };

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");
const mac = (key: Uint8Array, input: string) => createHmac("sha256", key).update(input).digest();

export function signHs256(key: Uint8Array, claims: Claims, keyId?: string): string {
  const header = { alg: "HS256", typ: "JWT", ...(keyId ? { kid: keyId } : {}) };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${mac(key, input).toString("base64url")}`;
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
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { ok: false, reason: "not a compact JWT" };
  const [h, p, s] = parts as [string, string, string];
  const expected = mac(key, `${h}.${p}`);
  const given = Buffer.from(s, "base64url");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "bad signature" };
  let header: { alg?: unknown };
  let claims: Partial<Claims>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Partial<Claims>;
  } catch {
    return { ok: false, reason: "unreadable header or claims" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: "unexpected algorithm" };
  if (claims.aud !== options.audience) return { ok: false, reason: `made for another purpose (audience \`${String(claims.aud)}\`)` };
  const now = Math.floor(options.nowMs / 1000);
  if (typeof claims.exp !== "number" || claims.exp <= now) return { ok: false, reason: "expired" };
  if (typeof claims.iat === "number" && claims.iat > now + 60) return { ok: false, reason: "issued in the future" };
  return { ok: true, claims: claims as Claims };
}
