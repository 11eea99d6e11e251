import { createHash, createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ecKeyDer } from "../../../src/pki/ec-key-der.js";

describe("EC keys written from their JWK export", () => {
  for (const namedCurve of ["P-256", "P-384", "P-521"]) {
    it(`should encode SPKI and PKCS#8 exactly as node:crypto exports them (${namedCurve})`, () => {
      for (let i = 0; i < 100; i++) {
        const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve });
        const der = ecKeyDer(privateKey)!;
        expect(der.spki.equals(publicKey.export({ type: "spki", format: "der" }))).toBe(true);
        expect(der.pkcs8.equals(privateKey.export({ type: "pkcs8", format: "der" }))).toBe(true);
      }
    });
  }

  it("should give the public point a subjectKeyIdentifier hashes", () => {
    const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { x, y } = publicKey.export({ format: "jwk" });
    const point = Buffer.concat([Buffer.of(4), Buffer.from(x!, "base64url"), Buffer.from(y!, "base64url")]);
    const der = ecKeyDer(privateKey)!;
    expect(Buffer.from(der.subjectPublicKey).equals(point)).toBe(true);
    expect(createHash("sha1").update(der.subjectPublicKey).digest("hex")).toBe(createHash("sha1").update(point).digest("hex"));
    expect(createPublicKey({ key: der.spki, format: "der", type: "spki" }).equals(publicKey)).toBe(true);
  });

  it("should leave a key on another curve to node:crypto's encoders", () => {
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "secp256k1" });
    expect(ecKeyDer(privateKey)).toBeUndefined();
  });
});
