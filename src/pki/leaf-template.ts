// Many leaves from one CA in one run differ only in serial, subject, public key, key identifier
// and SANs. @peculiar/x509 makes the first leaf of a run (the reference); the others reuse its
// issuer, validity, signature algorithm and shared extensions as the library encoded them, and
// get their own parts from the library's schema classes (@peculiar/asn1-x509), turned into
// asn1js nodes by its serializer. asn1js (the library's encoder) only puts them together in the
// reference's order. That takes the per-leaf cost from milliseconds to a fraction of one.
// test/unit/pki/leaf-template.test.ts proves the result byte-identical to the library's own.
import { createHash, KeyObject, sign } from "node:crypto";
import { AsnSerializer, OctetString } from "@peculiar/asn1-schema";
import * as asn1x509 from "@peculiar/asn1-x509";
import * as asn1js from "asn1js";
import { asParsed, encoded } from "./encoded-der.js";
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

const parse = (der: ArrayBuffer | Uint8Array) => {
  const { result, offset } = asn1js.fromBER(der);
  if (offset === -1) throw new Error(`leaf template: DER that does not parse: ${result.error}`);
  return result;
};

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

/** PrintableString where the name allows it, as @peculiar/x509's Name does; UTF8String otherwise. */
const commonNameValue = (name: string) =>
  new asn1x509.AttributeValue(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(name) ? { printableString: name } : { utf8String: name });

const extension = (extnID: string, value: unknown) =>
  AsnSerializer.toASN(new asn1x509.Extension({ extnID, critical: false, extnValue: new OctetString(AsnSerializer.serialize(value)) }));

export class LeafTemplate {
  private constructor(
    private readonly version: asn1js.AsnType,
    private readonly signatureAlgorithm: asn1js.AsnType,
    private readonly issuer: asn1js.AsnType,
    private readonly validity: asn1js.AsnType,
    private readonly shared: asn1js.AsnType[],
    private readonly key: KeyObject,
    private readonly hash: string | null,
  ) {}

  /**
   * From a reference leaf whose extensions are the `sharedCount` every leaf of the run shares,
   * then subjectKeyIdentifier and subjectAltName. The shared parts are kept as the library
   * encoded them and are not encoded again per leaf.
   */
  static fromReference(reference: x509.X509Certificate, sharedCount: number, signingKey: CryptoKey, signing: NodeSigning): LeafTemplate {
    const cert = parse(reference.rawData) as asn1js.Sequence;
    const tbs = cert.valueBlock.value[0] as asn1js.Sequence;
    const parts = tbs.valueBlock.value;
    const extensionsTag = parts[7]?.idBlock;
    if (parts.length !== 8 || extensionsTag?.tagClass !== 3 || extensionsTag.tagNumber !== 3) {
      throw new Error("leaf template: the reference leaf is not a v3 certificate with extensions");
    }
    const extensions = ((parts[7] as asn1js.Constructed).valueBlock.value[0] as asn1js.Sequence).valueBlock.value;
    if (extensions.length !== sharedCount + 2) throw new Error("leaf template: the reference leaf has unexpected extensions");
    return new LeafTemplate(
      asParsed(parts[0]!),
      asParsed(parts[2]!),
      asParsed(parts[3]!),
      asParsed(parts[4]!),
      extensions.slice(0, sharedCount).map(asParsed),
      KeyObject.from(signingKey as unknown as Parameters<typeof KeyObject.from>[0]),
      signing.hash,
    );
  }

  private tbsNode(leaf: TemplateLeaf): asn1js.Sequence {
    // RFC 5280 method 1, as the library computes it: SHA-1 of the subjectPublicKey bits.
    const keyBits = leaf.subjectPublicKey ?? ((parse(leaf.spkiDer) as asn1js.Sequence).valueBlock.value[1] as asn1js.BitString).valueBlock.valueHexView;
    const keyId = createHash("sha1").update(keyBits).digest();
    const names = [
      ...leaf.dns.map((dNSName) => new asn1x509.GeneralName({ dNSName })),
      ...leaf.ip.map((iPAddress) => new asn1x509.GeneralName({ iPAddress })),
    ];
    const subject = new asn1x509.Name([
      new asn1x509.RelativeDistinguishedName([
        new asn1x509.AttributeTypeAndValue({ type: "2.5.4.3", value: commonNameValue(leaf.commonName) }),
      ]),
    ]);
    return new asn1js.Sequence({
      value: [
        this.version,
        new asn1js.Integer({ valueHex: Buffer.from(leaf.serialHex, "hex") }),
        this.signatureAlgorithm,
        this.issuer,
        this.validity,
        AsnSerializer.toASN(subject),
        encoded(leaf.spkiDer),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 3 },
          value: [
            new asn1js.Sequence({
              value: [
                ...this.shared,
                extension(asn1x509.id_ce_subjectKeyIdentifier, new asn1x509.SubjectKeyIdentifier(keyId)),
                extension(asn1x509.id_ce_subjectAltName, new asn1x509.SubjectAlternativeName(names)),
              ],
            }),
          ],
        }),
      ],
    });
  }

  /** The TBSCertificate, DER. */
  tbs(leaf: TemplateLeaf): ArrayBuffer {
    return this.tbsNode(leaf).toBER();
  }

  /**
   * The signed certificate, DER. Signed here, not on libuv's pool: an ECDSA or Ed25519
   * signature costs less than the hop there and back (an RSA one does not, but then making the
   * RSA keys costs far more than signing with one).
   */
  build(leaf: TemplateLeaf): Buffer {
    const tbs = new Uint8Array(this.tbs(leaf));
    const signature = sign(this.hash, tbs, { key: this.key, dsaEncoding: "der" });
    // The TBSCertificate goes in as just encoded and signed, not encoded a second time.
    const certificate = new asn1js.Sequence({ value: [encoded(tbs), this.signatureAlgorithm, new asn1js.BitString({ valueHex: signature })] });
    return Buffer.from(certificate.toBER());
  }
}

export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}
