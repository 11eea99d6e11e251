import { createPublicKey, randomBytes, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { deriveIdentityKey, deriveSealKey } from "../../../src/vault/derived-keys.js";
import { IDENTITY_AUDIENCE, LOGIN_NONCE_CLAIM, signIdentityJwt } from "../../../src/vault/identity-jwt.js";

describe("keys derived from the IKM", () => {
  it("should give the same 32-byte seal key for the same IKM and generation, another for another generation", () => {
    const ikm = randomBytes(32);
    expect(deriveSealKey(ikm, 1)).toHaveLength(32);
    expect(deriveSealKey(ikm, 1)).toEqual(deriveSealKey(Buffer.from(ikm), 1));
    expect(deriveSealKey(ikm, 2)).not.toEqual(deriveSealKey(ikm, 1));
    expect(deriveSealKey(randomBytes(32), 1)).not.toEqual(deriveSealKey(ikm, 1));
  });

  it("should give one Ed25519 identity per IKM, whose public half is all the PEM carries", () => {
    const ikm = randomBytes(32);
    const a = deriveIdentityKey(ikm);
    expect(a.privateKey.asymmetricKeyType).toBe("ed25519");
    expect(a.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(deriveIdentityKey(ikm).publicKeyPem).toBe(a.publicKeyPem);
    expect(deriveIdentityKey(randomBytes(32)).publicKeyPem).not.toBe(a.publicKeyPem);
    const seed = a.privateKey.export({ format: "der", type: "pkcs8" }).subarray(-32);
    expect(seed.equals(deriveSealKey(ikm, 1))).toBe(false);
  });

  it("should sign a login JWT for bootgate, EdDSA, valid for one minute, that verifies with the public key", () => {
    const key = deriveIdentityKey(randomBytes(32));
    const now = new Date("2026-12-01T10:00:00Z");
    const [header, claims, signature] = signIdentityJwt(key, now).split(".");
    expect(JSON.parse(Buffer.from(header!, "base64url").toString())).toEqual({ alg: "EdDSA", typ: "JWT" });
    const body = JSON.parse(Buffer.from(claims!, "base64url").toString()) as Record<string, unknown>;
    const iat = now.getTime() / 1000;
    expect(body).toEqual({ iss: "bootgate", sub: "bootgate", aud: IDENTITY_AUDIENCE, iat, nbf: iat - 5, exp: iat + 60 });
    const ok = verify(null, Buffer.from(`${header}.${claims}`), createPublicKey(key.publicKeyPem), Buffer.from(signature!, "base64url"));
    expect(ok).toBe(true);
  });

  it("should carry a login's nonce as its own claim only when given one (a cluster's login)", () => {
    const key = deriveIdentityKey(randomBytes(32));
    const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split(".")[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(claimsOf(signIdentityJwt(key, new Date(), "n-1"))[LOGIN_NONCE_CLAIM]).toBe("n-1");
    expect(LOGIN_NONCE_CLAIM in claimsOf(signIdentityJwt(key))).toBe(false);
  });
});
