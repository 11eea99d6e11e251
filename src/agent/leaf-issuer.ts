// Where a renewed leaf comes from: a narrow interface, so the keeper is unit tested with a fake
// and the real one is Vault's PKI engine (vault-leaf-issuer.ts).
export interface IssuedLeafPem {
  /** The leaf alone. */
  certPem: string;
  keyPem: string;
  /** The intermediates after it (what cert.pem carries behind the leaf); never the root. */
  chainPem: string;
}

export interface LeafIssuer {
  issue(service: { name: string; dns: string[]; ip: string[] }, ttlMs: number): Promise<IssuedLeafPem>;
}
