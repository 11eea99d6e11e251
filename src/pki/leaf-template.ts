// Many leaves from one CA in one run differ only in serial, subject, public key, key identifier
// and SANs. A LeafTemplate holds the rest as DER, encoded once: version, signature algorithm,
// issuer, validity and the extensions every leaf shares (cert-der.ts writes them the way
// @peculiar/x509 does; `fromReference` slices them out of a leaf the library made instead).
// Each leaf's own parts are written by hand too (der.ts): a CN-only Name, the SPKI as given,
// subjectKeyIdentifier and subjectAltName. test/unit/pki/leaf-template.test.ts proves the
// result byte-identical to the library's own.
import { KeyObject } from "node:crypto";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import {
  authorityKeyIdentifier,
  basicConstraints,
  extensions,
  extKeyUsageServerClient,
  keyIdentifier,
  keyUsage,
  name,
  OID,
  serialNumber,
  signed,
  subjectAltName,
  subjectKeyIdentifier,
  validity,
  VERSION_3,
} from "./cert-der.js";
import { bytesOf, children, readTlv, sequence, TAG } from "./der.js";
import type { CaSigner } from "./issuing-ca.js";
import { KEY_PROFILES } from "./key-algorithms.js";
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
  return {
    hash: named((key.algorithm as { hash?: unknown }).hash)
      .replace("-", "")
      .toLowerCase(),
  };
}

const oidDer = (...bytes: number[]) => Uint8Array.of(TAG.oid, bytes.length, ...bytes);
const ECDSA_WITH: Record<string, number> = { sha256: 2, sha384: 3, sha512: 4 };
const RSA_WITH: Record<string, number> = { sha256: 0x0b, sha384: 0x0c, sha512: 0x0d };

/** The signature AlgorithmIdentifier a signer's certificates carry, as @peculiar/x509 writes it. */
export function signatureAlgorithmFor(signing: { name: string; hash?: unknown }, key: CryptoKey): { algorithm: Uint8Array; hash: string | null } {
  const { hash } = nodeSigningFor(signing, key);
  if (signing.name === "Ed25519") return { algorithm: sequence(oidDer(0x2b, 0x65, 0x70)), hash };
  if (signing.name === "ECDSA" && ECDSA_WITH[hash!]) return { algorithm: sequence(oidDer(0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, ECDSA_WITH[hash!]!)), hash };
  if (signing.name === "RSASSA-PKCS1-v1_5" && RSA_WITH[hash!]) {
    return { algorithm: sequence(oidDer(0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, RSA_WITH[hash!]!), Uint8Array.of(0x05, 0x00)), hash };
  }
  throw new Error(`leaf template: cannot sign with ${signing.name} ${hash ?? ""}`);
}

/** basicConstraints (not a CA), key usage, server + client auth, the issuer's key id: first in every leaf. */
export function sharedLeafExtensions(signer: Pick<CaSigner, "keyIdentifier">, algorithm: KeyAlgorithm): Buffer[] {
  return [basicConstraints(false), keyUsage(KEY_PROFILES[algorithm].leafKeyUsage), extKeyUsageServerClient(), authorityKeyIdentifier(signer.keyIdentifier)];
}

const EMPTY = new Uint8Array(0);

export class LeafTemplate {
  private constructor(
    /** signature algorithm, issuer and validity, as encoded: what follows the serial. */
    private readonly middle: Uint8Array,
    private readonly signatureAlgorithm: Uint8Array,
    private readonly shared: Uint8Array,
    private readonly key: KeyObject,
    private readonly hash: string | null,
  ) {}

  /** The leaves a CA signs with the shared extensions, valid from notBefore to notAfter. */
  static forIssuer(signer: CaSigner, algorithm: KeyAlgorithm, notBefore: Date, notAfter: Date): LeafTemplate {
    const signature = signatureAlgorithmFor(signer.signing as { name: string; hash?: unknown }, signer.key);
    return new LeafTemplate(
      Buffer.concat([signature.algorithm, signer.issuerDer, validity(notBefore, notAfter)]),
      signature.algorithm,
      Buffer.concat(sharedLeafExtensions(signer, algorithm)),
      KeyObject.from(signer.key as unknown as Parameters<typeof KeyObject.from>[0]),
      signature.hash,
    );
  }

  /**
   * From a reference leaf whose extensions are the `sharedCount` every leaf of the run shares,
   * then subjectKeyIdentifier and subjectAltName. The shared parts are kept as the library
   * encoded them and are not encoded again per leaf.
   */
  static fromReference(reference: x509.X509Certificate, sharedCount: number, signingKey: CryptoKey, signing: NodeSigning): LeafTemplate {
    const der = new Uint8Array(reference.rawData);
    const [tbsTlv] = children(der, readTlv(der, 0));
    const parts = children(der, tbsTlv!);
    if (parts.length !== 8 || parts[7]!.tag !== 0xa3 || !VERSION_3.every((b, i) => der[parts[0]!.start + i] === b)) {
      throw new Error("leaf template: the reference leaf is not a v3 certificate with extensions");
    }
    const [list] = children(der, parts[7]!);
    const all = children(der, list!);
    if (all.length !== sharedCount + 2) throw new Error("leaf template: the reference leaf has unexpected extensions");
    const shared = all.slice(0, sharedCount);
    return new LeafTemplate(
      der.subarray(parts[2]!.start, parts[4]!.end),
      bytesOf(der, parts[2]!),
      shared.length > 0 ? der.subarray(shared[0]!.start, shared.at(-1)!.end) : EMPTY,
      KeyObject.from(signingKey as unknown as Parameters<typeof KeyObject.from>[0]),
      signing.hash,
    );
  }

  /** The TBSCertificate, DER. */
  tbs(leaf: TemplateLeaf): Buffer {
    return sequence(
      VERSION_3,
      serialNumber(leaf.serialHex),
      this.middle,
      name([[OID.commonName, leaf.commonName]]),
      leaf.spkiDer,
      extensions(this.shared, subjectKeyIdentifier(keyIdentifier(leaf.spkiDer, leaf.subjectPublicKey)), subjectAltName(leaf.dns, leaf.ip)),
    );
  }

  /**
   * The signed certificate, DER. Signed here, not on libuv's pool: an ECDSA or Ed25519
   * signature costs less than the hop there and back (an RSA one does not, but then making the
   * RSA keys costs far more than signing with one).
   */
  build(leaf: TemplateLeaf): Buffer {
    return signed(this.tbs(leaf), this.signatureAlgorithm, this.key, this.hash);
  }
}

export { derToPem } from "./pem.js";
