// An EC key as SubjectPublicKeyInfo and PKCS#8 DER, written from its JWK export. OpenSSL 3
// exports SPKI, PKCS#8 and even SEC1 through its provider encoders, which cost 10–20× more than
// reading the key's numbers (and node:crypto runs them on the main thread, even for keys made
// on libuv's pool; the first calls in a process cost more still): for many leaves the encoders,
// not key generation, were the cost. The JWK export is a direct read of the private scalar and
// the public point; they are wrapped here exactly as OpenSSL wraps them
// (test/unit/pki/ec-key-der.test.ts compares both with node:crypto's own export, byte for byte).
import type { KeyObject } from "node:crypto";
import { sequence, TAG, tlv } from "./der.js";

// id-ecPublicKey (1.2.840.10045.2.1), PKCS#8 version 0 and ECPrivateKey version 1, DER.
const ID_EC_PUBLIC_KEY = Uint8Array.of(TAG.oid, 7, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const PKCS8_VERSION = Uint8Array.of(TAG.integer, 1, 0);
const EC_PRIVATE_KEY_VERSION = Uint8Array.of(TAG.integer, 1, 1);
const PUBLIC_KEY = 0xa1;

/** The named curves, their OIDs (DER) and AlgorithmIdentifier, encoded once. */
const CURVES: Record<string, { algorithm: Buffer }> = Object.fromEntries(
  Object.entries({
    "P-256": Uint8Array.of(TAG.oid, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07),
    "P-384": Uint8Array.of(TAG.oid, 5, 0x2b, 0x81, 0x04, 0x00, 0x22),
    "P-521": Uint8Array.of(TAG.oid, 5, 0x2b, 0x81, 0x04, 0x00, 0x23),
  }).map(([crv, oid]) => [crv, { algorithm: sequence(ID_EC_PUBLIC_KEY, oid) }]),
);

export interface EcKeyDer {
  spki: Buffer;
  pkcs8: Buffer;
  /** The public point, the BIT STRING's content: what a subjectKeyIdentifier hashes. */
  subjectPublicKey: Uint8Array;
}

/**
 * The key's DER, or undefined when it is not on a NIST curve bootgate issues on (the caller
 * then asks node:crypto's encoders). The curve is read from the JWK export itself: asking the
 * KeyObject first (asymmetricKeyDetails) cost ~25 µs a key, an eighth of pki-init's work.
 */
export function ecKeyDer(privateKey: KeyObject): EcKeyDer | undefined {
  const jwk = privateKey.export({ format: "jwk" });
  const curve = CURVES[jwk.crv ?? ""];
  if (!curve || !jwk.d || !jwk.x || !jwk.y) return undefined;
  // Node pads d, x and y to the curve's size, as OpenSSL's encoders do.
  const point = Buffer.concat([Uint8Array.of(4), Buffer.from(jwk.x, "base64url"), Buffer.from(jwk.y, "base64url")]);
  const publicKey = tlv(TAG.bitString, Uint8Array.of(0), point);
  const spki = sequence(curve.algorithm, publicKey);
  // ECPrivateKey (RFC 5915) inside PKCS#8: version, privateKey, [1] publicKey; the curve is the
  // algorithm's parameter and is left out of it.
  const inner = sequence(EC_PRIVATE_KEY_VERSION, tlv(TAG.octetString, Buffer.from(jwk.d, "base64url")), tlv(PUBLIC_KEY, publicKey));
  const pkcs8 = sequence(PKCS8_VERSION, curve.algorithm, tlv(TAG.octetString, inner));
  return { spki, pkcs8, subjectPublicKey: point };
}
