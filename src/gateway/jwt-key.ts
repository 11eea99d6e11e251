// The JWT signing key lives in Vault at `<gateway>/jwt`. proxy-setup creates it once (the first
// boot) and every later boot reuses it, so tokens survive a reboot; `bootgate token` only reads it
// (the newest). The agent rotates it every `gateway.jwt.rotate` (jwt-rotation.ts): the record then
// also holds the key before it, which the gateway still accepts for one rotation, so tokens in
// flight keep working.
import { randomBytes } from "node:crypto";
import type { KvClient } from "../vault/kv-client.js";
import { serviceKey } from "../vault/layout.js";
import type { JwtKey } from "./jwt.js";

export const jwtKeyPath = (gateway: string) => serviceKey(gateway, "jwt");

export function newJwtKey(): JwtKey {
  return { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: randomBytes(6).toString("hex") };
}

/** The newest key, the one before it (still accepted), and when the newest was made. */
export interface JwtKeyRing {
  key: JwtKey;
  previous?: JwtKey;
  /** ms since the epoch; undefined for a record written before rotation existed. */
  createdAt?: number;
}

function keyFrom(secret: unknown, algorithm: unknown, keyId: unknown, gateway: string, prefix = ""): JwtKey {
  if (typeof secret !== "string" || Buffer.from(secret, "base64url").length < 32 || algorithm !== "HS256" || typeof keyId !== "string") {
    throw new Error(`Vault ${jwtKeyPath(gateway)}: expected { ${prefix}secret: base64url of at least 32 bytes, ${prefix}algorithm: "HS256", ${prefix}key_id }`);
  }
  return { secret, algorithm, keyId };
}

export async function readJwtKeyRing(kv: KvClient, gateway: string): Promise<JwtKeyRing | undefined> {
  const data = await kv.read(jwtKeyPath(gateway));
  if (!data) return undefined;
  const ring: JwtKeyRing = { key: keyFrom(data.secret, data.algorithm, data.key_id, gateway) };
  if (data.previous_secret !== undefined) {
    ring.previous = keyFrom(data.previous_secret, data.previous_algorithm, data.previous_key_id, gateway, "previous_");
  }
  const created = typeof data.created_at === "string" ? Date.parse(data.created_at) : NaN;
  if (Number.isFinite(created)) ring.createdAt = created;
  return ring;
}

export async function readJwtKey(kv: KvClient, gateway: string): Promise<JwtKey | undefined> {
  return (await readJwtKeyRing(kv, gateway))?.key;
}

export async function writeJwtKeyRing(kv: KvClient, gateway: string, ring: Required<Pick<JwtKeyRing, "key" | "createdAt">> & JwtKeyRing): Promise<void> {
  await kv.write(jwtKeyPath(gateway), {
    secret: ring.key.secret,
    algorithm: ring.key.algorithm,
    key_id: ring.key.keyId,
    created_at: new Date(ring.createdAt).toISOString(),
    ...(ring.previous ? { previous_secret: ring.previous.secret, previous_algorithm: ring.previous.algorithm, previous_key_id: ring.previous.keyId } : {}),
  });
}

export async function ensureJwtKey(kv: KvClient, gateway: string, nowMs = Date.now()): Promise<JwtKeyRing & { created: boolean }> {
  const existing = await readJwtKeyRing(kv, gateway);
  if (existing) return { ...existing, created: false };
  const key = newJwtKey();
  await writeJwtKeyRing(kv, gateway, { key, createdAt: nowMs });
  return { key, createdAt: nowMs, created: true };
}

/** A new newest key; the newest becomes the previous one, the previous one is dropped (refused from now on). */
export async function rotateJwtKey(kv: KvClient, gateway: string, nowMs = Date.now()): Promise<JwtKeyRing> {
  const existing = await readJwtKeyRing(kv, gateway);
  const ring = { key: newJwtKey(), createdAt: nowMs, ...(existing ? { previous: existing.key } : {}) };
  await writeJwtKeyRing(kv, gateway, ring);
  return ring;
}
