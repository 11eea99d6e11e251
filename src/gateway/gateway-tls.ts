// The gateway's TLS material as kept in Vault at `<gateway>/tls` (src/vault/layout.ts): written
// by gateway-cert, read back by proxy-setup. The fingerprint lets anyone compare what the
// gateway serves with what Vault holds without reading the key.
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { PemTriple } from "../pki/pem-triple.js";
import { serviceKey } from "../vault/layout.js";

/** What the gateway serves to clients (possibly a public certificate). */
export const gatewayTlsKey = (gateway: string) => serviceKey(gateway, "tls");
/** What the gateway presents to services: always from the stack's CA (mutual TLS inside). */
export const gatewayClientTlsKey = (gateway: string) => serviceKey(gateway, "client-tls");

export interface GatewayTls extends PemTriple {
  /** SHA-256 of the leaf's DER, as Node's `fingerprint256` prints it (AB:CD:…). */
  fingerprint: string;
  /** Where it came from: `pki-init` or `import`. */
  source: string;
  notAfter: string;
}

/** The KV record: snake_case field names as in src/vault/layout.ts. */
export function toKvRecord(tls: GatewayTls): Record<string, unknown> {
  return {
    certificate: tls.certPem,
    private_key: tls.keyPem,
    chain: tls.chainPem,
    fingerprint_sha256: tls.fingerprint,
    source: tls.source,
    not_after: tls.notAfter,
  };
}

export function fromKvRecord(data: Record<string, unknown> | undefined, where: string): GatewayTls {
  if (!data) throw new Error(`no gateway certificate in Vault at ${where} (run gateway-cert first)`);
  const text = (field: string) => {
    const value = data[field];
    if (typeof value !== "string") throw new Error(`Vault ${where}: expected \`${field}\` to be a string, got ${value === undefined ? "none" : typeof value}`);
    return value;
  };
  const tls: GatewayTls = {
    certPem: text("certificate"),
    keyPem: text("private_key"),
    chainPem: typeof data.chain === "string" ? data.chain : "",
    fingerprint: text("fingerprint_sha256"),
    source: typeof data.source === "string" ? data.source : "unknown",
    notAfter: typeof data.not_after === "string" ? data.not_after : "",
  };
  if (fingerprintOf(tls.certPem) !== tls.fingerprint) {
    throw new Error(`Vault ${where}: the certificate does not match its recorded fingerprint`);
  }
  return tls;
}

export function fingerprintOf(certificatePem: string): string {
  return new X509Certificate(certificatePem).fingerprint256;
}

/** Builds the record from PEM text, checking that the key belongs to the certificate. */
export function gatewayTlsFrom(pem: PemTriple & { source: string }): GatewayTls {
  const cert = new X509Certificate(firstPem(pem.certPem));
  const key = createPrivateKey(pem.keyPem);
  if (!cert.checkPrivateKey(key)) throw new Error("the gateway key does not belong to its certificate");
  return {
    certPem: cert.toString(),
    keyPem: key.export({ type: "pkcs8", format: "pem" }).toString(),
    chainPem: pem.chainPem.trim() === "" ? "" : pem.chainPem.trim() + "\n",
    fingerprint: cert.fingerprint256,
    source: pem.source,
    notAfter: new Date(cert.validTo).toISOString(),
  };
}

/** The first PEM block: a cert.pem often carries its chain after the leaf. */
export function firstPem(text: string): string {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new Error("expected a PEM certificate");
  return match[0] + "\n";
}

/** Leaf followed by its chain, as servers present it. */
export const fullChain = (tls: GatewayTls) => tls.certPem.trimEnd() + "\n" + tls.chainPem;

const PEM_BLOCKS = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Valid now (an imported public certificate is not checked against the stack's CA). */
export function isCurrent(tls: GatewayTls, now = new Date()): boolean {
  const cert = new X509Certificate(tls.certPem);
  return new Date(cert.validTo) > now && new Date(cert.validFrom) <= now;
}

/**
 * Whether a certificate kept in Vault still stands this boot: valid now, and its chain leads to
 * a certificate of the current trust bundle (an ephemeral CA is new every boot).
 */
export function standsUnder(tls: GatewayTls, caPem: string, now = new Date()): boolean {
  const leaf = new X509Certificate(tls.certPem);
  if (new Date(leaf.validTo) <= now || new Date(leaf.validFrom) > now) return false;
  const anchors = (caPem.match(PEM_BLOCKS) ?? []).map((p) => new X509Certificate(p));
  const intermediates = (tls.chainPem.match(PEM_BLOCKS) ?? []).map((p) => new X509Certificate(p));
  let current = leaf;
  for (let hops = 0; hops <= intermediates.length; hops++) {
    if (anchors.some((a) => current.checkIssued(a) && current.verify(a.publicKey))) return true;
    const next = intermediates.find((c) => current.checkIssued(c) && current.verify(c.publicKey));
    if (!next) return false;
    current = next;
  }
  return false;
}
