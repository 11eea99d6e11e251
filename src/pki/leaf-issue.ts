// A service's leaf: CN and first SAN the service name, then its dns and ip entries; server and
// client auth; a fresh key of the configured algorithm, exported as PKCS#8. The first leaf of a
// run is made by @peculiar/x509 itself; the rest follow it through a LeafTemplate.
import type { ServiceConfig } from "../config/schema.js";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { BACKDATE_MS } from "./ephemeral-ca.js";
import type { CaSigner, IssuingCa } from "./issuing-ca.js";
import { encodeKeyPair, generateKeyPair, generateLeafKeyPair, KEY_PROFILES } from "./key-algorithms.js";
import { derToPem, LeafTemplate, nodeSigningFor } from "./leaf-template.js";
import { certificatePem, pkcs8Pem } from "./pem.js";
import type { PemTriple } from "./pem-triple.js";
import { randomSerialHex } from "./serial.js";
import { subtle, x509 } from "./x509.js";

/** The leaf alone and its key; the chain (the CA's) is appended when it is written. */
export interface IssuedLeaf extends Pick<PemTriple, "certPem" | "keyPem"> {
  service: string;
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

/** Extensions every leaf of one CA and algorithm shares, first in each leaf. */
function sharedExtensions(signer: CaSigner, algorithm: KeyAlgorithm): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(KEY_PROFILES[algorithm].leafKeyUsage, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
    signer.authorityKeyId,
  ];
}

interface Dates {
  notBefore: Date;
  notAfter: Date;
}

function datesFor(ca: IssuingCa, request: Pick<LeafRequest, "now" | "validityMs">): Dates {
  return {
    notBefore: new Date(request.now.getTime() - BACKDATE_MS),
    notAfter: new Date(Math.min(request.now.getTime() + request.validityMs, ca.notAfter.getTime())),
  };
}

const subjectOf = (name: string) => new x509.Name([{ CN: [name] }]);

function signerOf(ca: IssuingCa): CaSigner {
  if (!ca.signer) throw new Error("this CA's key is gone; it cannot issue");
  return ca.signer;
}

/** One leaf, entirely through @peculiar/x509 (the reference every template follows). */
export async function issueLeaf(ca: IssuingCa, request: LeafRequest): Promise<IssuedLeaf> {
  return (await issueWithLibrary(ca, request)).leaf;
}

async function issueWithLibrary(ca: IssuingCa, request: LeafRequest): Promise<{ leaf: IssuedLeaf; cert: x509.X509Certificate }> {
  const signer = signerOf(ca);
  const keys = await generateKeyPair(request.algorithm);
  const { notBefore, notAfter } = datesFor(ca, request);
  const [cert, pkcs8] = await Promise.all([
    x509.SubjectKeyIdentifierExtension.create(keys.publicKey).then((ski) =>
      x509.X509CertificateGenerator.create({
        subject: subjectOf(request.service.name),
        issuer: signer.issuerName,
        publicKey: keys.publicKey,
        signingKey: signer.key,
        serialNumber: randomSerialHex(),
        notBefore,
        notAfter,
        signingAlgorithm: signer.signing,
        extensions: [...sharedExtensions(signer, request.algorithm), ski, new x509.SubjectAlternativeNameExtension(expectedSans(request.service))],
      }),
    ),
    subtle.exportKey("pkcs8", keys.privateKey),
  ]);
  const leaf = { service: request.service.name, certPem: certificatePem(cert), keyPem: pkcs8Pem(pkcs8), serial: cert.serialNumber, notAfter };
  return { leaf, cert };
}

/**
 * Many leaves of one CA, algorithm and validity. The keys are made concurrently on libuv's
 * pool; then the main thread encodes, assembles and signs each leaf with nothing else running:
 * OpenSSL 3's calls on the main thread slow down several-fold while pool threads use OpenSSL.
 */
export async function issueLeaves(ca: IssuingCa, requests: readonly LeafRequest[]): Promise<IssuedLeaf[]> {
  if (requests.length === 0) return [];
  const signer = signerOf(ca);
  const [first, ...rest] = requests;
  const algorithm = first!.algorithm;
  if (rest.some((r) => r.algorithm !== algorithm || r.validityMs !== first!.validityMs || r.now.getTime() !== first!.now.getTime())) {
    return Promise.all(requests.map((r) => issueLeaf(ca, r)));
  }
  // Keys for the rest are made while the library builds the reference.
  const restKeys = Promise.all(rest.map(() => generateLeafKeyPair(algorithm)));
  const reference = await issueWithLibrary(ca, first!);
  const template = LeafTemplate.fromReference(reference.cert, sharedExtensions(signer, algorithm).length, signer.key, nodeSigningFor(signer.signing as { name: string; hash?: unknown }, signer.key));
  const { notAfter } = datesFor(ca, first!);
  const keys = await restKeys;
  const others = rest.map((request, i) => {
    const { spki, pkcs8, subjectPublicKey } = encodeKeyPair(keys[i]!);
    const serialHex = randomSerialHex();
    const sans = expectedSans(request.service);
    const der = template.build({
      serialHex,
      commonName: request.service.name,
      spkiDer: spki,
      subjectPublicKey,
      dns: sans.filter((n) => n.type === "dns").map((n) => n.value),
      ip: sans.filter((n) => n.type === "ip").map((n) => n.value),
    });
    return { service: request.service.name, certPem: derToPem(der), keyPem: derToPem(pkcs8, "PRIVATE KEY"), serial: serialHex, notAfter };
  });
  return [reference.leaf, ...others];
}
