// An EC key as SubjectPublicKeyInfo and PKCS#8 DER, from its SEC1 form. OpenSSL 3 exports SEC1
// through a direct call but SPKI and PKCS#8 through its provider encoders, which cost ~20× more
// (and node:crypto runs them on the main thread, even for keys made on libuv's pool): for many
// leaves the encoders, not key generation, were the cost. asn1js re-wraps the SEC1 parts, as
// encoded, the way OpenSSL does (test/unit/pki/ec-key-der.test.ts compares both with
// node:crypto's own export, byte for byte).
import type { KeyObject } from "node:crypto";
import * as asn1js from "asn1js";
import { asParsed, encoded } from "./encoded-der.js";

const ID_EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const PKCS8_VERSION = new Uint8Array(new asn1js.Integer({ value: 0 }).toBER());

export interface EcKeyDer {
  spki: Buffer;
  pkcs8: Buffer;
  /** The public point, the BIT STRING's content: what a subjectKeyIdentifier hashes. */
  subjectPublicKey: Uint8Array;
}

const isContextTag = (node: asn1js.AsnType, tag: number) => node.idBlock.tagClass === 3 && node.idBlock.tagNumber === tag;
const tagged = (parts: asn1js.AsnType[], tag: number) => (parts.find((p) => isContextTag(p, tag)) as asn1js.Constructed | undefined)?.valueBlock.value[0];

/** AlgorithmIdentifier { id-ecPublicKey, the curve }, per curve as encoded once. */
const algorithms = new Map<string, Uint8Array>();

function algorithmFor(curve: asn1js.AsnType): Uint8Array {
  const curveDer = (curve as asn1js.BaseBlock).valueBeforeDecodeView;
  const id = Buffer.from(curveDer).toString("hex");
  let der = algorithms.get(id);
  if (!der) {
    der = new Uint8Array(new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: ID_EC_PUBLIC_KEY }), asParsed(curve)] }).toBER());
    algorithms.set(id, der);
  }
  return der;
}

export function ecKeyDer(privateKey: KeyObject): EcKeyDer {
  const { result, offset } = asn1js.fromBER(privateKey.export({ type: "sec1", format: "der" }));
  // ECPrivateKey (RFC 5915): version, privateKey, [0] parameters, [1] publicKey.
  const parts = offset === -1 ? [] : (result as asn1js.Sequence).valueBlock.value;
  const curve = tagged(parts, 0);
  const publicKey = tagged(parts, 1) as asn1js.BitString | undefined;
  if (!curve || !publicKey) throw new Error("EC key: the SEC1 export lacks its curve or public key");
  const algorithm = algorithmFor(curve);
  const spki = new asn1js.Sequence({ value: [encoded(algorithm), asParsed(publicKey)] }).toBER();
  // Inside PKCS#8 the curve is the algorithm's parameter and is left out of the ECPrivateKey.
  const inner = new asn1js.Sequence({ value: parts.filter((p) => !isContextTag(p, 0)).map(asParsed) }).toBER();
  const pkcs8 = new asn1js.Sequence({ value: [encoded(PKCS8_VERSION), encoded(algorithm), new asn1js.OctetString({ valueHex: inner })] }).toBER();
  return { spki: Buffer.from(spki), pkcs8: Buffer.from(pkcs8), subjectPublicKey: publicKey.valueBlock.valueHexView };
}
