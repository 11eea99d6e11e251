// The JWT signing key lives in Vault at `<gateway>/jwt`. proxy-setup creates it once (the first
// boot) and every later boot reuses it, so tokens survive a reboot; `bootgate token` only reads it.
import { randomBytes } from "node:crypto";
import type { KvClient } from "../vault/kv-client.js";
import { serviceKey } from "../vault/layout.js";
import type { JwtKey } from "./jwt.js";

export const jwtKeyPath = (gateway: string) => serviceKey(gateway, "jwt");

export function newJwtKey(): JwtKey {
  return { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: randomBytes(6).toString("hex") };
}

export async function readJwtKey(kv: KvClient, gateway: string): Promise<JwtKey | undefined> {
  const data = await kv.read(jwtKeyPath(gateway));
  if (!data) return undefined;
  const { secret, algorithm, key_id: keyId } = data;
  if (typeof secret !== "string" || Buffer.from(secret, "base64url").length < 32 || algorithm !== "HS256" || typeof keyId !== "string") {
    throw new Error(`Vault ${jwtKeyPath(gateway)}: expected { secret: base64url of at least 32 bytes, algorithm: "HS256", key_id }`);
  }
  return { secret, algorithm, keyId };
}

export async function ensureJwtKey(kv: KvClient, gateway: string): Promise<{ key: JwtKey; created: boolean }> {
  const existing = await readJwtKey(kv, gateway);
  if (existing) return { key: existing, created: false };
  const key = newJwtKey();
  await kv.write(jwtKeyPath(gateway), { secret: key.secret, algorithm: key.algorithm, key_id: key.keyId });
  return { key, created: true };
}
