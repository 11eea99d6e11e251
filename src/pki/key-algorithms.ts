// What each configured key algorithm means for webcrypto: how to make a key, how to sign
// with it, and which key usages its certificates carry.
import { type KeyObject, generateKeyPair as nodeGenerateKeyPair, webcrypto } from "node:crypto";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { KEY_USAGE } from "./cert-der.js";
import { ecKeyDer } from "./ec-key-der.js";
import type { Algorithm, CryptoKeyPair, EcdsaParams, EcKeyGenParams, RsaHashedKeyGenParams } from "./x509.js";

const subtle = webcrypto.subtle;

export interface KeyProfile {
  generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
  /** The same key for node:crypto, which hands back encoded keys straight from libuv's pool. */
  node:
    | { type: "ec"; options: { namedCurve: string } }
    | { type: "rsa"; options: { modulusLength: number; publicExponent: number } }
    | { type: "ed25519"; options: object };
  signing: Algorithm | EcdsaParams;
  /** digitalSignature always; RSA keys may also encipher (TLS 1.2 RSA key exchange). */
  leafKeyUsage: number;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);
const rsa = (modulusLength: number): KeyProfile => ({
  generate: { name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent: RSA_EXPONENT, hash: "SHA-256" },
  node: { type: "rsa", options: { modulusLength, publicExponent: 65537 } },
  signing: { name: "RSASSA-PKCS1-v1_5" },
  leafKeyUsage: KEY_USAGE.digitalSignature | KEY_USAGE.keyEncipherment,
});

export const KEY_PROFILES: Record<KeyAlgorithm, KeyProfile> = {
  "ecdsa-p256": {
    generate: { name: "ECDSA", namedCurve: "P-256" },
    node: { type: "ec", options: { namedCurve: "P-256" } },
    signing: { name: "ECDSA", hash: "SHA-256" },
    leafKeyUsage: KEY_USAGE.digitalSignature,
  },
  "ecdsa-p384": {
    generate: { name: "ECDSA", namedCurve: "P-384" },
    node: { type: "ec", options: { namedCurve: "P-384" } },
    signing: { name: "ECDSA", hash: "SHA-384" },
    leafKeyUsage: KEY_USAGE.digitalSignature,
  },
  "rsa-2048": rsa(2048),
  "rsa-3072": rsa(3072),
  "rsa-4096": rsa(4096),
  ed25519: {
    generate: { name: "Ed25519" },
    node: { type: "ed25519", options: {} },
    signing: { name: "Ed25519" },
    leafKeyUsage: KEY_USAGE.digitalSignature,
  },
};

/** Extractable, because a leaf's key is written to its service's folder. */
export async function generateKeyPair(algorithm: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(KEY_PROFILES[algorithm].generate, true, ["sign", "verify"])) as CryptoKeyPair;
}

export interface EncodedKeyPair {
  /** SubjectPublicKeyInfo, DER. */
  spki: Buffer;
  /** PKCS#8, DER. */
  pkcs8: Buffer;
  /** The SPKI's BIT STRING content, when known without decoding the SPKI again. */
  subjectPublicKey?: Uint8Array;
}

export interface LeafKeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** A leaf key made on libuv's pool, not encoded: node:crypto would encode it on the main thread. */
export function generateLeafKeyPair(algorithm: KeyAlgorithm): Promise<LeafKeyPair> {
  const { type, options } = KEY_PROFILES[algorithm].node;
  return new Promise((resolve, reject) =>
    // The overloads cannot see through the union of key types; each branch is a valid call.
    (nodeGenerateKeyPair as unknown as (t: string, o: object, cb: (e: Error | null, publicKey: KeyObject, privateKey: KeyObject) => void) => void)(
      type,
      options,
      (error, publicKey, privateKey) => (error ? reject(error) : resolve({ publicKey, privateKey })),
    ),
  );
}

/** A leaf key as DER, for leaves that never need it as a CryptoKey. */
export function encodeKeyPair(keys: LeafKeyPair): EncodedKeyPair {
  // OpenSSL's SPKI and PKCS#8 encoders are the slow part of an EC key; see ec-key-der.ts.
  const ec = keys.privateKey.asymmetricKeyType === "ec" ? ecKeyDer(keys.privateKey) : undefined;
  if (ec) return ec;
  return { spki: keys.publicKey.export({ type: "spki", format: "der" }), pkcs8: keys.privateKey.export({ type: "pkcs8", format: "der" }) };
}

/** A CA key that is only ever used to sign and never exported (unless it must go to Vault's PKI engine). */
export async function generateSigningKeyPair(algorithm: KeyAlgorithm, exportable = false): Promise<CryptoKeyPair> {
  const pair = (await subtle.generateKey(KEY_PROFILES[algorithm].generate, exportable, ["sign", "verify"])) as CryptoKeyPair;
  return pair;
}
