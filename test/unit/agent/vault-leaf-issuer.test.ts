// The Vault-backed LeafIssuer against a fake client: the path and body it sends to the PKI
// engine, and how it turns the answer into cert.pem's leaf and chain (intermediates, no root).
import { describe, expect, it } from "vitest";
import { vaultLeafIssuer } from "../../../src/agent/vault-leaf-issuer.js";
import type { VaultSession } from "../../../src/agent/vault-session.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";

function fakeSession(answer: unknown) {
  const writes: { path: string; body: Record<string, unknown> }[] = [];
  const client = {
    address: "https://vault:8200",
    serverName: "vault",
    caPem: "",
    close: () => {},
    api: {
      write: (path: string, body: Record<string, unknown>) => {
        writes.push({ path, body });
        return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
      },
    },
  } as unknown as VaultClient;
  const session: VaultSession = { client: () => Promise.resolve(client), invalidate: () => {}, expiresAt: () => undefined, close: () => Promise.resolve() };
  return { session, writes };
}

const pem = (name: string) => `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----`;

describe("the Vault-backed leaf issuer", () => {
  it("should ask <mount>/issue/<service> for the service's names and TTL, and keep the root out of the chain", async () => {
    const { session, writes } = fakeSession({
      data: {
        certificate: pem("leaf"),
        private_key: "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----",
        ca_chain: [pem("intermediate"), pem("root")],
      },
    });
    const leaf = await vaultLeafIssuer(session, "pki").issue({ name: "core-data", dns: ["core-data.internal"], ip: ["10.0.0.5"] }, 90_000);
    expect(writes).toEqual([
      {
        path: "pki/issue/core-data",
        body: { common_name: "core-data", alt_names: "core-data,core-data.internal", ip_sans: "10.0.0.5", ttl: "90s", private_key_format: "pkcs8" },
      },
    ]);
    expect(leaf.certPem).toBe(pem("leaf") + "\n");
    expect(leaf.chainPem).toBe(pem("intermediate") + "\n");
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]*\n$/);
  });

  it("should use the issuing CA when Vault gives no chain, and name the service and path when Vault refuses", async () => {
    const { session } = fakeSession({ data: { certificate: pem("leaf"), private_key: "k", issuing_ca: pem("intermediate") } });
    expect((await vaultLeafIssuer(session).issue({ name: "a", dns: [], ip: [] }, 1000)).chainPem).toBe(pem("intermediate") + "\n");
    const refused = Object.assign(new Error("unknown role"), { response: { statusCode: 400, body: { errors: ["unknown role: a"] } } });
    const failing = fakeSession(refused);
    await expect(vaultLeafIssuer(failing.session).issue({ name: "a", dns: [], ip: [] }, 1000)).rejects.toThrow(/a \(pki\/issue\/a\)/);
  });
});
