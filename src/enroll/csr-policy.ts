// What a certificate request sent to `POST /ca/sign` may ask for: a leaf of one service, with a
// subset of that service's configured names, for a key of the stack's algorithm. Everything else
// is refused with its reason before Vault sees it (Vault's role checks the names again).
import { createPublicKey } from "node:crypto";
import { isIP } from "node:net";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { x509 } from "../pki/x509.js";

export interface CsrNames {
  commonName: string;
  dns: string[];
  ip: string[];
}

export type CsrVerdict = { ok: true; names: CsrNames; spkiDer: Buffer } | { ok: false; reason: string };

const OID = {
  commonName: "2.5.4.3",
  extensionRequest: "1.2.840.113549.1.9.14",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
};
/** A CSR is a few hundred bytes; one this long is not one of ours. */
export const MAX_CSR_BYTES = 16 * 1024;

const EXPECTED_KEY: Record<KeyAlgorithm, { type: string; curve?: string; bits?: number }> = {
  "ecdsa-p256": { type: "ec", curve: "prime256v1" },
  "ecdsa-p384": { type: "ec", curve: "secp384r1" },
  "rsa-2048": { type: "rsa", bits: 2048 },
  "rsa-3072": { type: "rsa", bits: 3072 },
  "rsa-4096": { type: "rsa", bits: 4096 },
  ed25519: { type: "ed25519" },
};

const refuse = (reason: string): CsrVerdict => ({ ok: false, reason });

export async function checkCsr(pem: string, service: { name: string; dns: string[]; ip: string[] }, keyAlgorithm: KeyAlgorithm): Promise<CsrVerdict> {
  if (Buffer.byteLength(pem) > MAX_CSR_BYTES) return refuse(`a CSR larger than ${MAX_CSR_BYTES} bytes`);
  if (!/^-----BEGIN CERTIFICATE REQUEST-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE REQUEST-----\s*$/.test(pem.trim()))
    return refuse("not a PEM certificate request");
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(pem);
  } catch {
    return refuse("an unreadable certificate request");
  }

  // The key first: an algorithm we do not know is refused before anything is computed with it.
  const spkiDer = Buffer.from(csr.publicKey.rawData);
  let key;
  try {
    key = createPublicKey({ key: spkiDer, format: "der", type: "spki" });
  } catch {
    return refuse("a public key of an unknown algorithm");
  }
  const type = key.asymmetricKeyType ?? "unknown";
  const details = key.asymmetricKeyDetails ?? {};
  if (type === "rsa" && (details.modulusLength ?? 0) < 2048) return refuse(`an RSA key of ${details.modulusLength ?? 0} bits (at least 2048)`);
  if (!["rsa", "ec", "ed25519"].includes(type)) return refuse(`a key of algorithm ${type} (expected RSA, ECDSA or Ed25519)`);
  if (type === "ec" && !["prime256v1", "secp384r1"].includes(details.namedCurve ?? "")) return refuse(`an EC key on curve ${details.namedCurve ?? "unknown"}`);
  const expected = EXPECTED_KEY[keyAlgorithm];
  if (type !== expected.type || (expected.curve && details.namedCurve !== expected.curve) || (expected.bits && (details.modulusLength ?? 0) < expected.bits))
    return refuse(
      `a ${type}${details.namedCurve ? ` ${details.namedCurve}` : details.modulusLength ? ` ${details.modulusLength}-bit` : ""} key where the stack uses ${keyAlgorithm} (pki.keyAlgorithm)`,
    );
  let signed = false;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) return refuse("a request whose signature does not verify with its own key (or uses an unknown signature algorithm)");

  // Subject: a common name and nothing else.
  const rdns = csr.subjectName.toJSON().flatMap((rdn) => Object.entries(rdn));
  const others = rdns.filter(([oid]) => oid !== "CN" && oid !== OID.commonName);
  if (others.length > 0) return refuse(`subject fields other than CN (${others.map(([oid]) => oid).join(", ")})`);
  const cns = rdns.flatMap(([, values]) => values);
  if (cns.length !== 1) return refuse(cns.length === 0 ? "no common name" : "more than one common name");
  const commonName = cns[0]!;

  // Attributes: only the extension request; extensions: only subjectAltName.
  for (const attribute of csr.attributes) {
    if (attribute.type !== OID.extensionRequest) return refuse(`an attribute other than the extension request (${attribute.type})`);
  }
  const dns: string[] = [];
  const ip: string[] = [];
  for (const extension of csr.extensions) {
    if (extension.type === OID.basicConstraints) {
      const bc = new x509.BasicConstraintsExtension(extension.rawData);
      if (bc.ca) return refuse("a CA certificate (basicConstraints CA:true)");
      return refuse("a basicConstraints extension (Vault sets the leaf's own)");
    }
    if (extension.type !== OID.subjectAltName) return refuse(`an extension other than subjectAltName (${extension.type})`);
    const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
    for (const name of san.names.items) {
      if (name.type === "dns") dns.push(name.value.toLowerCase());
      else if (name.type === "ip") ip.push(name.value);
      else return refuse(`a subjectAltName of type ${name.type} (DNS names and IP addresses only)`);
    }
  }

  const names = [commonName, ...dns];
  if (names.some((n) => n.includes("*"))) return refuse("a wildcard name");
  const allowedDns = new Set([service.name, ...service.dns]);
  const allowedIp = new Set(service.ip);
  const foreign = [...names.filter((n) => !allowedDns.has(n.toLowerCase())), ...ip.filter((a) => isIP(a) === 0 || !allowedIp.has(a))];
  if (foreign.length > 0) return refuse(`names that are not ${service.name}'s (${[...new Set(foreign)].join(", ")})`);
  return { ok: true, names: { commonName: commonName.toLowerCase(), dns: [...new Set(dns)], ip: [...new Set(ip)] }, spkiDer };
}
