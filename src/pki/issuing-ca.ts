// The CA that signs this run's leaves, whichever way it came to be (made now, imported, or
// this boot's ephemeral CA found again on the volume). `signer` is absent when its key is gone.
import type { X509Certificate as NodeCertificate } from "node:crypto";
import type { Algorithm, CryptoKey, EcdsaParams } from "./x509.js";

export interface CaSigner {
  key: CryptoKey;
  signing: Algorithm | EcdsaParams;
  /** The intermediate's subject, DER exactly as in its certificate: the leaves' issuer. */
  issuerDer: Uint8Array;
  /** The intermediate's key identifier: the leaves' authority key identifier. */
  keyIdentifier: Uint8Array;
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
  /** An ephemeral intermediate's key, PKCS#8 PEM, only when it is on its way to Vault's PKI engine. */
  intermediateKeyPem?: string;
}

export const certNotAfter = (cert: NodeCertificate) => new Date(cert.validTo);
export const certNotBefore = (cert: NodeCertificate) => new Date(cert.validFrom);
