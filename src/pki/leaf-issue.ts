// A service's leaf: CN and first SAN the service name, then its dns and ip entries; server and
// client auth; a fresh key of the configured algorithm, exported as PKCS#8.
import type { ServiceConfig } from "../config/schema.js";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { BACKDATE_MS } from "./ephemeral-ca.js";
import type { CaSigner, IssuingCa } from "./issuing-ca.js";
import { generateKeyPair, KEY_PROFILES } from "./key-algorithms.js";
import { certificatePem, pkcs8Pem } from "./pem.js";
import { randomSerialHex } from "./serial.js";
import { subtle, x509 } from "./x509.js";

export interface IssuedLeaf {
  service: string;
  /** The leaf alone; the chain is appended when it is written. */
  leafPem: string;
  keyPem: string;
  serial: string;
  notAfter: Date;
}

export interface LeafRequest {
  service: Pick<ServiceConfig, "name" | "dns" | "ip">;
  algorithm: KeyAlgorithm;
  validityMs: number;
  now: Date;
}

/** The SANs a service's leaf carries, in order, without repeats. */
export function expectedSans(service: Pick<ServiceConfig, "name" | "dns" | "ip">): x509.JsonGeneralName[] {
  const dns = [...new Set([service.name, ...service.dns])];
  const ip = [...new Set(service.ip)];
  return [...dns.map((value) => ({ type: "dns" as const, value })), ...ip.map((value) => ({ type: "ip" as const, value }))];
}

/** Extensions every leaf of one CA shares, built once per run rather than once per leaf. */
class LeafExtensions {
  private readonly cache = new Map<KeyAlgorithm, x509.Extension[]>();
  constructor(private readonly signer: CaSigner) {}
  shared(algorithm: KeyAlgorithm): x509.Extension[] {
    let list = this.cache.get(algorithm);
    if (!list) {
      list = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KEY_PROFILES[algorithm].leafKeyUsage, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        this.signer.authorityKeyId,
      ];
      this.cache.set(algorithm, list);
    }
    return list;
  }
}

const extensionsBySigner = new WeakMap<CaSigner, LeafExtensions>();

export async function issueLeaf(ca: IssuingCa, request: LeafRequest): Promise<IssuedLeaf> {
  const signer = ca.signer;
  if (!signer) throw new Error("this CA's key is gone; it cannot issue");
  let shared = extensionsBySigner.get(signer);
  if (!shared) extensionsBySigner.set(signer, (shared = new LeafExtensions(signer)));

  const keys = await generateKeyPair(request.algorithm);
  const notBefore = new Date(request.now.getTime() - BACKDATE_MS);
  const notAfter = new Date(Math.min(request.now.getTime() + request.validityMs, ca.notAfter.getTime()));
  const [cert, pkcs8] = await Promise.all([
    x509.SubjectKeyIdentifierExtension.create(keys.publicKey).then((ski) =>
      x509.X509CertificateGenerator.create({
        subject: [{ CN: [request.service.name] }],
        issuer: signer.issuerName,
        publicKey: keys.publicKey,
        signingKey: signer.key,
        serialNumber: randomSerialHex(),
        notBefore,
        notAfter,
        signingAlgorithm: signer.signing,
        extensions: [
          ...shared.shared(request.algorithm),
          ski,
          new x509.SubjectAlternativeNameExtension(expectedSans(request.service)),
        ],
      }),
    ),
    subtle.exportKey("pkcs8", keys.privateKey),
  ]);
  return { service: request.service.name, leafPem: certificatePem(cert), keyPem: pkcs8Pem(pkcs8), serial: cert.serialNumber, notAfter };
}
