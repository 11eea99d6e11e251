// An EC key as SubjectPublicKeyInfo and PKCS#8 DER, from its SEC1 form. OpenSSL 3 exports SEC1
// through a direct call but SPKI and PKCS#8 through its provider encoders, which cost ~20× more
// (and node:crypto runs them on the main thread, even for keys made on libuv's pool): for many
// leaves the encoders, not key generation, were the cost. The SEC1 parts are re-wrapped, as
// encoded, the way OpenSSL does, with der.ts (test/unit/pki/ec-key-der.test.ts compares both
// with node:crypto's own export, byte for byte).
import type { KeyObject } from "node:crypto";
import { bytesOf, children, contentOf, readTlv, sequence, TAG, tlv, type Tlv } from "./der.js";

// AlgorithmIdentifier's id-ecPublicKey (1.2.840.10045.2.1) and PKCS#8's version 0, DER.
const ID_EC_PUBLIC_KEY = Uint8Array.of(TAG.oid, 7, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
const PKCS8_VERSION = Uint8Array.of(TAG.integer, 1, 0);
const PARAMETERS = 0xa0;
const PUBLIC_KEY = 0xa1;

export interface EcKeyDer {
  spki: Buffer;
  pkcs8: Buffer;
  /** The public point, the BIT STRING's content: what a subjectKeyIdentifier hashes. */
  subjectPublicKey: Uint8Array;
}

/** AlgorithmIdentifier { id-ecPublicKey, the curve }, per curve as encoded once. */
const algorithms = new Map<string, Buffer>();

function algorithmFor(curve: Uint8Array): Buffer {
  const id = Buffer.from(curve).toString("latin1");
  let der = algorithms.get(id);
  if (!der) {
    der = sequence(ID_EC_PUBLIC_KEY, curve);
    algorithms.set(id, der);
  }
  return der;
}

export function ecKeyDer(privateKey: KeyObject): EcKeyDer {
  const sec1 = privateKey.export({ type: "sec1", format: "der" });
  // ECPrivateKey (RFC 5915): version, privateKey, [0] parameters, [1] publicKey.
  const parts = children(sec1, readTlv(sec1, 0));
  const inside = (tag: number): Tlv | undefined => {
    const wrapper = parts.find((p) => p.tag === tag);
    return wrapper ? readTlv(sec1, wrapper.contentStart) : undefined;
  };
  const curve = inside(PARAMETERS);
  const publicKey = inside(PUBLIC_KEY);
  if (!curve || publicKey?.tag !== TAG.bitString) throw new Error("EC key: the SEC1 export lacks its curve or public key");
  const algorithm = algorithmFor(bytesOf(sec1, curve));
  const spki = sequence(algorithm, bytesOf(sec1, publicKey));
  // Inside PKCS#8 the curve is the algorithm's parameter and is left out of the ECPrivateKey.
  const inner = sequence(...parts.filter((p) => p.tag !== PARAMETERS).map((p) => bytesOf(sec1, p)));
  const pkcs8 = sequence(PKCS8_VERSION, algorithm, tlv(TAG.octetString, inner));
  return { spki, pkcs8, subjectPublicKey: contentOf(sec1, publicKey).subarray(1) };
}
