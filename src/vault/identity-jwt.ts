// bootgate's login to Vault: a JWT it signs with its derived Ed25519 key, valid for a minute.
// Short-lived on purpose: Vault's JWT method has no replay cache, so a token seen in flight
// (it travels inside verified TLS only) is worth a minute at most.
import { sign } from "node:crypto";
import type { IdentityKey } from "./derived-keys.js";

export const IDENTITY_ISSUER = "bootgate";
export const IDENTITY_SUBJECT = "bootgate";
export const IDENTITY_AUDIENCE = "bootgate-openbao";
const LIFETIME_S = 60;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A login's nonce: the identity role copies this claim into the token's meta, so a login a
 * cluster's follower sent twice can find its twin (src/vault/identity.ts). Not a secret.
 */
export const LOGIN_NONCE_CLAIM = "bootgate_login";

export function signIdentityJwt(key: IdentityKey, now = new Date(), loginNonce?: string): string {
  const iat = Math.floor(now.getTime() / 1000);
  const header = b64url({ alg: "EdDSA", typ: "JWT" });
  const claims = b64url({
    iss: IDENTITY_ISSUER,
    sub: IDENTITY_SUBJECT,
    aud: IDENTITY_AUDIENCE,
    iat,
    nbf: iat - 5,
    exp: iat + LIFETIME_S,
    ...(loginNonce ? { [LOGIN_NONCE_CLAIM]: loginNonce } : {}),
  });
  const signature = sign(null, Buffer.from(`${header}.${claims}`), key.privateKey).toString("base64url");
  return `${header}.${claims}.${signature}`;
}
