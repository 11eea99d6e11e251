// The narrow view of Vault's PKI secrets engine that bootgate needs (issue 19): the mount, this
// boot's intermediate as its default issuer, one role per service, issuance and revocation.
// node-vault-pki-engine.ts talks to a real OpenBao; unit tests pass a fake.
export interface PkiRole {
  /** The role's name is the service's. */
  name: string;
  /** The service's name and its configured dns SANs: nothing else, no subdomains, no wildcards. */
  allowedDomains: string[];
  /** IP SANs are allowed only when the service has configured ones. */
  allowIpSans: boolean;
  keyType: "ec" | "rsa" | "ed25519";
  keyBits: number;
  ttlMs: number;
}

export interface IssueRequest {
  commonName: string;
  altNames: string[];
  ipSans: string[];
  ttlMs: number;
}

export interface VaultLeaf {
  /** The leaf alone. */
  certPem: string;
  /** PKCS#8 PEM. */
  keyPem: string;
  /** The issuer's certificate. */
  issuingCaPem: string;
  /** Lowercase hex, no separators (as the rest of bootgate writes serials). */
  serial: string;
  notAfter: Date;
}

export interface PkiIssuer {
  id: string;
  certPem: string;
}

export interface PkiEngine {
  readonly mount: string;
  /** Mounts the engine when missing; true when it did. */
  ensureMount(maxTtlMs: number): Promise<boolean>;
  /** Imports certificates and a key (one PEM bundle) and returns the issuer whose certificate is `issuerCertPem`. */
  importIssuer(bundlePem: string, issuerCertPem: string): Promise<string>;
  defaultIssuer(): Promise<PkiIssuer | undefined>;
  /**
   * `intermediate/generate/internal`: Vault makes a new intermediate key that never leaves it and
   * returns the CSR (PEM) for an offline root to sign.
   */
  generateIntermediateCsr(commonName: string, keyType: PkiRole["keyType"], keyBits: number): Promise<string>;
  /** `intermediate/set-signed`: the root-signed certificate for a key Vault generated; returns its issuer's id. */
  installSignedIntermediate(bundlePem: string, issuerCertPem: string): Promise<string>;
  setDefaultIssuer(id: string): Promise<void>;
  /** CRL auto-rebuild, OCSP, the URLs leaves carry (Vault's own address), auto-tidy. */
  configure(vaultAddress: string): Promise<void>;
  writeRole(role: PkiRole): Promise<void>;
  /** Issues through the role named `role` (bootgate's own token may use every role). */
  issue(role: string, request: IssueRequest): Promise<VaultLeaf>;
  /**
   * Revokes a leaf of this mount's issuers, given as its certificate: Vault checks it issued it,
   * and it need not be in Vault's store (pki-init's bootstrap leaves are not).
   */
  revoke(certPem: string): Promise<void>;
  /** The default issuer's chain, issuer first (PEM). */
  caChain(): Promise<string>;
  /** Serials (lowercase hex) that the engine lists as revoked. */
  revokedSerials(): Promise<string[]>;
}

/** `1a:2b:…` (Vault's spelling) as bootgate writes serials: `1a2b…`. */
export const plainSerial = (serial: string) => serial.replace(/[:-]/g, "").toLowerCase();
/** And back: Vault's paths take the colon form. */
export const vaultSerial = (serial: string) =>
  plainSerial(serial)
    .replace(/(..)(?!$)/g, "$1:")
    .replace(/:$/, "");
