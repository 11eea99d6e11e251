// The parts of the certificates pki-init makes (the ephemeral root and intermediate, every
// leaf), as DER, the way @peculiar/x509 encodes them: test/unit/pki/leaf-template.test.ts
// compares a leaf byte for byte with the library's. Writing them here keeps the library (and
// reflect-metadata, tsyringe and the asn1 schema packages, ~100 ms of CPU to load) off a cold
// `bootgate run`: it is loaded only for imported material.
import { createHash, type KeyObject, sign } from "node:crypto";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { bitString, children, contentOf, ipBytes, readTlv, sequence, TAG, tlv } from "./der.js";

const BOOLEAN_TRUE = Uint8Array.of(0x01, 0x01, 0xff);
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXTENSIONS = 0xa3;
const KEY_IDENTIFIER = 0x80;
const DNS_NAME = 0x82;
const IP_ADDRESS = 0x87;

const oid = (...bytes: number[]) => Uint8Array.of(TAG.oid, bytes.length, ...bytes);
export const OID = {
  commonName: oid(0x55, 0x04, 0x03),
  organizationalUnit: oid(0x55, 0x04, 0x0b),
  subjectKeyIdentifier: oid(0x55, 0x1d, 0x0e),
  keyUsage: oid(0x55, 0x1d, 0x0f),
  subjectAltName: oid(0x55, 0x1d, 0x11),
  basicConstraints: oid(0x55, 0x1d, 0x13),
  authorityKeyIdentifier: oid(0x55, 0x1d, 0x23),
  extKeyUsage: oid(0x55, 0x1d, 0x25),
  serverAuth: oid(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01),
  clientAuth: oid(0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02),
};

/** KeyUsage bits as @peculiar/x509 numbers them (1 << bit). */
export const KEY_USAGE = { digitalSignature: 1, keyEncipherment: 4, keyCertSign: 32, cRLSign: 64 } as const;

const sha256WithRsa = sequence(oid(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b), Uint8Array.of(0x05, 0x00));
/** Each key algorithm's signature AlgorithmIdentifier and node:crypto digest. */
export const SIGNATURE: Record<KeyAlgorithm, { algorithm: Uint8Array; hash: string | null }> = {
  "ecdsa-p256": { algorithm: sequence(oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02)), hash: "sha256" },
  "ecdsa-p384": { algorithm: sequence(oid(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03)), hash: "sha384" },
  "rsa-2048": { algorithm: sha256WithRsa, hash: "sha256" },
  "rsa-3072": { algorithm: sha256WithRsa, hash: "sha256" },
  "rsa-4096": { algorithm: sha256WithRsa, hash: "sha256" },
  ed25519: { algorithm: sequence(oid(0x2b, 0x65, 0x70)), hash: null },
};

export const VERSION_3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** PrintableString where the text allows it, as @peculiar/x509's Name does; UTF8String otherwise. */
const directoryString = (text: string) =>
  PRINTABLE.test(text) ? tlv(TAG.printableString, Buffer.from(text, "latin1")) : tlv(TAG.utf8String, Buffer.from(text, "utf8"));

/** A Name of one attribute per RDN, in order. */
export const name = (attributes: readonly (readonly [Uint8Array, string])[]) =>
  sequence(...attributes.map(([type, value]) => tlv(TAG.set, sequence(type, directoryString(value)))));

const two = (n: number) => String(n).padStart(2, "0");

/** UTCTime through 2049, GeneralizedTime after (RFC 5280), to the second. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) + two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + "Z";
  return year > 2049 ? tlv(GENERALIZED_TIME, Buffer.from(String(year) + rest, "latin1")) : tlv(UTC_TIME, Buffer.from(two(year % 100) + rest, "latin1"));
}

export const validity = (notBefore: Date, notAfter: Date) => sequence(time(notBefore), time(notAfter));

export const serialNumber = (hex: string) => tlv(TAG.integer, Buffer.from(hex, "hex"));

const extension = (type: Uint8Array, critical: boolean, value: Uint8Array) =>
  critical ? sequence(type, BOOLEAN_TRUE, tlv(TAG.octetString, value)) : sequence(type, tlv(TAG.octetString, value));

export const basicConstraints = (ca: boolean, pathLength?: number) =>
  extension(
    OID.basicConstraints,
    true,
    sequence(...(ca ? [BOOLEAN_TRUE] : []), ...(pathLength !== undefined ? [tlv(TAG.integer, Uint8Array.of(pathLength))] : [])),
  );

/** A critical keyUsage; DER drops the trailing zero bits. */
export function keyUsage(flags: number): Buffer {
  let bits = 0;
  for (let bit = 0; bit < 16; bit++) if (flags & (1 << bit)) bits |= 0x8000 >> bit;
  const bytes = bits & 0xff ? [bits >> 8, bits & 0xff] : [bits >> 8];
  const last = bytes.at(-1)!;
  let unused = 0;
  while (unused < 7 && !(last & (1 << unused))) unused++;
  return extension(OID.keyUsage, true, tlv(TAG.bitString, Uint8Array.of(unused, ...bytes)));
}

export const extKeyUsageServerClient = () => extension(OID.extKeyUsage, false, sequence(OID.serverAuth, OID.clientAuth));
export const subjectKeyIdentifier = (keyId: Uint8Array) => extension(OID.subjectKeyIdentifier, false, tlv(TAG.octetString, keyId));
export const authorityKeyIdentifier = (keyId: Uint8Array) => extension(OID.authorityKeyIdentifier, false, sequence(tlv(KEY_IDENTIFIER, keyId)));
export const subjectAltName = (dns: readonly string[], ip: readonly string[]) =>
  extension(OID.subjectAltName, false, sequence(...dns.map((d) => tlv(DNS_NAME, Buffer.from(d, "latin1"))), ...ip.map((a) => tlv(IP_ADDRESS, ipBytes(a)))));

export const extensions = (...list: Uint8Array[]) => tlv(EXTENSIONS, sequence(...list));

/** The BIT STRING content of a SubjectPublicKeyInfo: the key itself. */
export function publicKeyBits(spki: Uint8Array): Uint8Array {
  const [, key] = children(spki, readTlv(spki, 0));
  if (key?.tag !== TAG.bitString) throw new Error("certificate: an SPKI without its key");
  return contentOf(spki, key).subarray(1);
}

/** RFC 5280 method 1, as @peculiar/x509 computes it: SHA-1 of the subjectPublicKey bits. */
export const keyIdentifier = (spki: Uint8Array, bits?: Uint8Array) =>
  createHash("sha1")
    .update(bits ?? publicKeyBits(spki))
    .digest();

/** The signed certificate around a TBSCertificate. */
export function signed(tbs: Uint8Array, algorithm: Uint8Array, key: KeyObject, hash: string | null): Buffer {
  return sequence(tbs, algorithm, bitString(sign(hash, tbs, { key, dsaEncoding: "der" })));
}

/** The subject Name of a certificate, DER, exactly as it is in the certificate. */
export function subjectOf(certificate: Uint8Array): Uint8Array {
  const [tbs] = children(certificate, readTlv(certificate, 0));
  const parts = children(certificate, tbs!);
  // [0] version is optional (v1): then the subject is one place earlier.
  const at = parts[0]!.tag === 0xa0 ? 5 : 4;
  return certificate.subarray(parts[at]!.start, parts[at]!.end);
}
