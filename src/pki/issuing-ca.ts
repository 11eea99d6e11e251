// The CA that signs this run's leaves, whichever way it came to be (made now, imported, or
// this boot's ephemeral CA found again on the volume). `signer` is absent when its key is gone.
import type { X509Certificate as NodeCertificate } from "node:crypto";
import type { Algorithm, CryptoKey, EcdsaParams, x509 } from "./x509.js";

export interface CaSigner {
  key: CryptoKey;
  signing: Algorithm | EcdsaParams;
  /** The intermediate's subject, as the leaves' issuer. */
  issuerName: x509.Name;
  /** The intermediate's key identifier, as the leaves' authority key identifier. */
  authorityKeyId: x509.AuthorityKeyIdentifierExtension;
}

export interface IssuingCa {
  mode: "ephemeral" | "imported";
  root: NodeCertificate;
  intermediate: NodeCertificate;
  /** `ca/ca.pem` and every `<service>/ca.pem`: root then intermediate. */
  bundlePem: string;
  /** What follows a leaf in its cert.pem: the intermediate. */
  chainPem: string;
  /** No leaf may outlive its issuer. */
  notAfter: Date;
  signer?: CaSigner;
}

export const certNotAfter = (cert: NodeCertificate) => new Date(cert.validTo);
export const certNotBefore = (cert: NodeCertificate) => new Date(cert.validFrom);
