// Many leaves from one CA in one run differ only in serial, subject, public key, key identifier
// and SANs. @peculiar/x509 makes the first leaf of a run (the reference); the others reuse its
// version, signature algorithm, issuer, validity and shared extensions as the library encoded
// them (sliced out of its DER), and get their own parts written as DER by hand (der.ts): a
// CN-only Name, the SPKI as given, the subjectKeyIdentifier and subjectAltName extensions.
// About a tenth of the time asn1js and the library's schema classes took, with far less garbage.
// test/unit/pki/leaf-template.test.ts proves the result byte-identical to the library's own.
import { createHash, KeyObject, sign } from "node:crypto";
import { bitString, bytesOf, children, contentOf, ipBytes, readTlv, sequence, TAG, tlv, unsignedInteger } from "./der.js";
import type { CryptoKey, x509 } from "./x509.js";

export interface TemplateLeaf {
  serialHex: string;
  commonName: string;
  spkiDer: Uint8Array;
  /** The SPKI's BIT STRING content, when already known (else it is read from spkiDer). */
  subjectPublicKey?: Uint8Array | undefined;
  dns: readonly string[];
  ip: readonly string[];
}

/** How to sign with node:crypto (DER ECDSA signatures, as the library writes them). */
export interface NodeSigning {
  hash: string | null;
}

export function nodeSigningFor(signing: { name: string; hash?: unknown }, key: CryptoKey): NodeSigning {
  if (signing.name === "Ed25519") return { hash: null };
  const named = (h: unknown) => String(typeof h === "object" && h !== null ? (h as { name: string }).name : (h ?? "SHA-256"));
  if (signing.name === "ECDSA") return { hash: named(signing.hash).replace("-", "").toLowerCase() };
  // RSASSA-PKCS1-v1_5: the hash is the key's own (webcrypto binds it at import or generation).
  return { hash: named((key.algorithm as { hash?: unknown }).hash).replace("-", "").toLowerCase() };
}

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
// id-at-commonName, id-ce-subjectKeyIdentifier, id-ce-subjectAltName (OIDs, DER).
const OID_CN = Uint8Array.of(TAG.oid, 3, 0x55, 0x04, 0x03);
const OID_SKI = Uint8Array.of(TAG.oid, 3, 0x55, 0x1d, 0x0e);
const OID_SAN = Uint8Array.of(TAG.oid, 3, 0x55, 0x1d, 0x11);
// GeneralName [2] dNSName (IA5String) and [7] iPAddress, implicitly tagged.
const DNS_NAME = 0x82;
const IP_ADDRESS = 0x87;
const EXTENSIONS = 0xa3;

/** PrintableString where the name allows it, as @peculiar/x509's Name does; UTF8String otherwise. */
function commonName(name: string): Buffer {
  const value = PRINTABLE.test(name) ? tlv(TAG.printableString, Buffer.from(name, "latin1")) : tlv(TAG.utf8String, Buffer.from(name, "utf8"));
  return sequence(tlv(TAG.set, sequence(OID_CN, value)));
}

/** A non-critical extension (DER leaves out critical = FALSE). */
const extension = (oid: Uint8Array, value: Uint8Array) => sequence(oid, tlv(TAG.octetString, value));

/** The BIT STRING content of a SubjectPublicKeyInfo: the key itself. */
function publicKeyBits(spki: Uint8Array): Uint8Array {
  const [, key] = children(spki, readTlv(spki, 0));
  if (key?.tag !== TAG.bitString) throw new Error("leaf template: an SPKI without its key");
  return contentOf(spki, key).subarray(1);
}

export class LeafTemplate {
  private constructor(
    /** version, then (after the serial) signature algorithm, issuer and validity: as encoded. */
    private readonly version: Uint8Array,
    private readonly middle: Uint8Array,
    private readonly signatureAlgorithm: Uint8Array,
    private readonly shared: Uint8Array,
    private readonly key: KeyObject,
    private readonly hash: string | null,
  ) {}

  /**
   * From a reference leaf whose extensions are the `sharedCount` every leaf of the run shares,
   * then subjectKeyIdentifier and subjectAltName. The shared parts are kept as the library
   * encoded them and are not encoded again per leaf.
   */
  static fromReference(reference: x509.X509Certificate, sharedCount: number, signingKey: CryptoKey, signing: NodeSigning): LeafTemplate {
    const der = new Uint8Array(reference.rawData);
    const [tbsTlv] = children(der, readTlv(der, 0));
    const parts = children(der, tbsTlv!);
    if (parts.length !== 8 || parts[7]!.tag !== EXTENSIONS) {
      throw new Error("leaf template: the reference leaf is not a v3 certificate with extensions");
    }
    const [list] = children(der, parts[7]!);
    const extensions = children(der, list!);
    if (extensions.length !== sharedCount + 2) throw new Error("leaf template: the reference leaf has unexpected extensions");
    const shared = extensions.slice(0, sharedCount);
    return new LeafTemplate(
      bytesOf(der, parts[0]!),
      der.subarray(parts[2]!.start, parts[4]!.end),
      bytesOf(der, parts[2]!),
      shared.length > 0 ? der.subarray(shared[0]!.start, shared.at(-1)!.end) : new Uint8Array(0),
      KeyObject.from(signingKey as unknown as Parameters<typeof KeyObject.from>[0]),
      signing.hash,
    );
  }

  /** The TBSCertificate, DER. */
  tbs(leaf: TemplateLeaf): Buffer {
    // RFC 5280 method 1, as the library computes it: SHA-1 of the subjectPublicKey bits.
    const keyId = createHash("sha1")
      .update(leaf.subjectPublicKey ?? publicKeyBits(leaf.spkiDer))
      .digest();
    const names = [
      ...leaf.dns.map((name) => tlv(DNS_NAME, Buffer.from(name, "latin1"))),
      ...leaf.ip.map((ip) => tlv(IP_ADDRESS, ipBytes(ip))),
    ];
    return sequence(
      this.version,
      unsignedInteger(Buffer.from(leaf.serialHex, "hex")),
      this.middle,
      commonName(leaf.commonName),
      leaf.spkiDer,
      tlv(EXTENSIONS, sequence(this.shared, extension(OID_SKI, tlv(TAG.octetString, keyId)), extension(OID_SAN, sequence(...names)))),
    );
  }

  /**
   * The signed certificate, DER. Signed here, not on libuv's pool: an ECDSA or Ed25519
   * signature costs less than the hop there and back (an RSA one does not, but then making the
   * RSA keys costs far more than signing with one).
   */
  build(leaf: TemplateLeaf): Buffer {
    const tbs = this.tbs(leaf);
    const signature = sign(this.hash, tbs, { key: this.key, dsaEncoding: "der" });
    return sequence(tbs, this.signatureAlgorithm, bitString(signature));
  }
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
