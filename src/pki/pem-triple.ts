/**
 * A certificate with its key and issuing chain, as PEM text: what pki-init issues or imports and
 * what the gateway serves, under one set of names on both sides.
 */
export interface PemTriple {
  /** The leaf alone. */
  certPem: string;
  /** PKCS#8 PEM. A secret: never log it. */
  keyPem: string;
  /** The issuing chain that follows the leaf (intermediates); may be empty. */
  chainPem: string;
}
