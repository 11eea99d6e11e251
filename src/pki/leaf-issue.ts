// A service's leaf: CN and first SAN the service name, then its dns and ip entries; server and
// client auth; a fresh key of the configured algorithm, exported as PKCS#8. Every leaf of a run
// comes out of one LeafTemplate (DER written by hand, byte-identical to @peculiar/x509's).
import type { ServiceConfig } from "../config/schema.js";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { BACKDATE_MS } from "./ephemeral-ca.js";
import type { IssuingCa } from "./issuing-ca.js";
import { encodeKeyPair, generateLeafKeyPair } from "./key-algorithms.js";
import { LeafTemplate } from "./leaf-template.js";
import { derToPem } from "./pem.js";
import type { PemTriple } from "./pem-triple.js";
import { randomSerialHex } from "./serial.js";

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

export interface SanEntry {
  type: "dns" | "ip";
  value: string;
}

/** The SANs a service's leaf carries, in order, without repeats. */
export function expectedSans(service: Pick<ServiceConfig, "name" | "dns" | "ip">): SanEntry[] {
  const dns = [...new Set([service.name, ...service.dns])];
  const ip = [...new Set(service.ip)];
  return [...dns.map((value) => ({ type: "dns" as const, value })), ...ip.map((value) => ({ type: "ip" as const, value }))];
}

function datesFor(ca: IssuingCa, request: Pick<LeafRequest, "now" | "validityMs">) {
  return {
    notBefore: new Date(request.now.getTime() - BACKDATE_MS),
    notAfter: new Date(Math.min(request.now.getTime() + request.validityMs, ca.notAfter.getTime())),
  };
}

/** One leaf. */
export async function issueLeaf(ca: IssuingCa, request: LeafRequest): Promise<IssuedLeaf> {
  return (await issueLeaves(ca, [request]))[0]!;
}

/**
 * Many leaves of one CA, algorithm and validity. The keys are made concurrently on libuv's
 * pool; then the main thread encodes, assembles and signs each leaf with nothing else running:
 * OpenSSL 3's calls on the main thread slow down several-fold while pool threads use OpenSSL.
 */
export async function issueLeaves(ca: IssuingCa, requests: readonly LeafRequest[]): Promise<IssuedLeaf[]> {
  if (requests.length === 0) return [];
  if (!ca.signer) throw new Error("this CA's key is gone; it cannot issue");
  const [first, ...rest] = requests;
  const algorithm = first!.algorithm;
  if (rest.some((r) => r.algorithm !== algorithm || r.validityMs !== first!.validityMs || r.now.getTime() !== first!.now.getTime())) {
    return (await Promise.all(requests.map((r) => issueLeaves(ca, [r])))).flat();
  }
  const keys = await Promise.all(requests.map(() => generateLeafKeyPair(algorithm)));
  const { notBefore, notAfter } = datesFor(ca, first!);
  const template = LeafTemplate.forIssuer(ca.signer, algorithm, notBefore, notAfter);
  return requests.map((request, i) => {
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
}
