// PEM text in and out: bundles are split into their certificates, keys written as PKCS#8.
import { x509 } from "./x509.js";

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate block in a PEM text, each ending with a newline. */
export function splitCertificates(pem: string): string[] {
  return [...pem.matchAll(CERT_BLOCK)].map((m) => m[0] + "\n");
}

export function certificatePem(cert: x509.X509Certificate): string {
  return cert.toString("pem").trimEnd() + "\n";
}

export function pkcs8Pem(der: ArrayBuffer): string {
  return x509.PemConverter.encode(der, "PRIVATE KEY").trimEnd() + "\n";
}
