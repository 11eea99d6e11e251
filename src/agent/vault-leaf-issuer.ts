// Leaves from Vault's PKI engine: `<pkiMount>/issue/<service>`, a role named after the service
// (made by pki-init with the PKI engine). The CA never changes: the leaf chains to the same
// intermediate, so ca.pem and the bundle stay byte-identical.
import { vaultCall } from "../vault/vault-errors.js";
import type { IssuedLeafPem, LeafIssuer } from "./leaf-issuer.js";
import type { VaultSession } from "./vault-session.js";

interface IssueResponse {
  data: { certificate: string; private_key: string; ca_chain?: string[]; issuing_ca?: string };
}

const pemEnd = (pem: string) => (pem.endsWith("\n") ? pem : pem + "\n");

export function vaultLeafIssuer(session: VaultSession, pkiMount = "pki"): LeafIssuer {
  return {
    async issue(service, ttlMs): Promise<IssuedLeafPem> {
      const client = await session.client();
      const body = {
        common_name: service.name,
        alt_names: [service.name, ...service.dns].join(","),
        ...(service.ip.length > 0 ? { ip_sans: service.ip.join(",") } : {}),
        ttl: `${Math.max(1, Math.round(ttlMs / 1000))}s`,
        private_key_format: "pkcs8",
      };
      const path = `${pkiMount}/issue/${service.name}`;
      const response = (await vaultCall(client.address, `issue a leaf for ${service.name} (${path})`, () => client.api.write(path, body))) as IssueResponse;
      // ca_chain ends with the root when Vault knows it; cert.pem carries intermediates only.
      const chain = response.data.ca_chain ?? (response.data.issuing_ca ? [response.data.issuing_ca] : []);
      const intermediates = chain.length > 1 ? chain.slice(0, -1) : chain;
      return { certPem: pemEnd(response.data.certificate), keyPem: pemEnd(response.data.private_key), chainPem: intermediates.map(pemEnd).join("") };
    },
  };
}
