// The part every HS256 JWT check in bootgate shares (the gateway's tokens, enrollment's tokens
// and PSK statements): the signature is checked before any claim is read, over the exact
// base64url text, in constant time; only then are header and claims decoded. What the claims
// must say is the caller's.
import { createHmac, timingSafeEqual } from "node:crypto";

export type Opened<T> = { ok: true; claims: Partial<T> } | { ok: false; reason: string };

const b64url = (data: string | Buffer) => Buffer.from(data).toString("base64url");

export function hs256(key: Uint8Array | string, input: string): string {
  return createHmac("sha256", key).update(input).digest("base64url");
}

export function signCompactHs256(key: Uint8Array | string, header: Record<string, unknown>, claims: object): string {
  const input = `${b64url(JSON.stringify({ alg: "HS256", typ: "JWT", ...header }))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${hs256(key, input)}`;
}

export function openCompactHs256<T>(token: string, key: Uint8Array | string): Opened<T> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return { ok: false, reason: "not a compact JWT" };
  const [h, p, s] = parts as [string, string, string];
  const expected = Buffer.from(hs256(key, `${h}.${p}`));
  const given = Buffer.from(s);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "bad signature" };
  let header: { alg?: unknown };
  let claims: Partial<T>;
  try {
    header = JSON.parse(Buffer.from(h, "base64url").toString("utf8")) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(p, "base64url").toString("utf8")) as Partial<T>;
  } catch {
    return { ok: false, reason: "unreadable header or claims" };
  }
  if (header.alg !== "HS256") return { ok: false, reason: "unexpected algorithm" };
  return { ok: true, claims };
}
