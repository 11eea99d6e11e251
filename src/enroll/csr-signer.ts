// Where a checked request is signed: Vault's PKI engine, `<pkiMount>/sign/<service>`, the role
// named after the service (its allowed names are the service's, src/vault/pki-setup.ts). Vault
// takes the names from the request itself (use_csr_sans), so the leaf carries exactly those.
import type { VaultSession } from "../agent/vault-session.js";
import { vaultSerial } from "../vault/pki-engine.js";
import { vaultCall, vaultStatusCode } from "../vault/vault-errors.js";

export interface SignedLeaf {
  /** The leaf alone. */
  certPem: string;
  /** The intermediates after it, never the root. */
  chainPem: string;
}

export interface CsrSigner {
  sign(service: string, csrPem: string, commonName: string, ttlMs: number): Promise<SignedLeaf>;
  /** Whether Vault lists the leaf (serial in lowercase hex) as revoked: a revoked leaf renews nothing. */
  isRevoked(serial: string): Promise<boolean>;
}

const pemEnd = (pem: string) => (pem.endsWith("\n") ? pem : pem + "\n");

export function vaultCsrSigner(session: VaultSession, pkiMount: string): CsrSigner {
  return {
    async sign(service, csrPem, commonName, ttlMs) {
      const client = await session.client();
      const path = `${pkiMount}/sign/${service}`;
      const body = { csr: csrPem, common_name: commonName, ttl: `${Math.max(1, Math.round(ttlMs / 1000))}s`, format: "pem" };
      const response = (await vaultCall(client.address, `sign a request for ${service} (${path})`, () => client.api.write(path, body))) as {
        data: { certificate: string; ca_chain?: string[]; issuing_ca?: string };
      };
      const chain = response.data.ca_chain ?? (response.data.issuing_ca ? [response.data.issuing_ca] : []);
      const intermediates = chain.length > 1 ? chain.slice(0, -1) : chain;
      return { certPem: pemEnd(response.data.certificate), chainPem: intermediates.map(pemEnd).join("") };
    },
    async isRevoked(serial) {
      const client = await session.client();
      // Node drops a leading zero nibble; Vault's serials are whole bytes.
      const path = `${pkiMount}/cert/${vaultSerial(serial.length % 2 ? `0${serial}` : serial)}`;
      try {
        const response = (await client.api.read(path)) as { data?: { revocation_time?: number } };
        return (response.data?.revocation_time ?? 0) > 0;
      } catch (error) {
        // Not in Vault's store: nothing lists it as revoked (TLS already proved the stack's CA issued it).
        if (vaultStatusCode(error) === 404) return false;
        return vaultCall(client.address, `read ${path}`, () => Promise.reject(error));
      }
    },
  };
}
