// PEM text in and out: bundles are split into their certificates, keys written as PKCS#8.
// No @peculiar/x509 here: a cold pki-init does not load it (see cert-der.ts).

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate block in a PEM text, each ending with a newline. */
export function splitCertificates(pem: string): string[] {
  return [...pem.matchAll(CERT_BLOCK)].map((m) => m[0] + "\n");
}

/** DER as PEM: 64 characters a line, ending with a newline. */
export function derToPem(der: Uint8Array, label = "CERTIFICATE"): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  let body = "";
  for (let i = 0; i < base64.length; i += 64) body += base64.slice(i, i + 64) + "\n";
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

/** A certificate (anything with its DER as rawData, e.g. @peculiar/x509's) as PEM. */
export function certificatePem(cert: { rawData: ArrayBuffer }): string {
  return derToPem(new Uint8Array(cert.rawData));
}

export function pkcs8Pem(der: ArrayBuffer | Uint8Array): string {
  return derToPem(der instanceof Uint8Array ? der : new Uint8Array(der), "PRIVATE KEY");
}
