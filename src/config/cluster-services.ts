// Each node of a Vault cluster is a service of its own for the PKI: its own folder, leaf and key,
// with the shared `vault.service` name as a SAN, so raft's TLS verifies a node by its own name and
// clients verify any node as `vault`. A node the config does not declare is made from the vault
// service's entry (same owner, extra names and addresses); a declared one gets the shared SAN.
import type { ServiceConfig } from "./schema.js";

export function withClusterNodes(services: ServiceConfig[], vaultService: string, nodeNames: readonly string[]): ServiceConfig[] {
  if (nodeNames.length === 0) return services;
  const base = services.find((s) => s.name === vaultService);
  const shared = (dns: readonly string[]) => (dns.includes(vaultService) ? [...dns] : [vaultService, ...dns]);
  const declared = new Set(services.map((s) => s.name));
  const completed = services.map((s) => (nodeNames.includes(s.name) ? { ...s, dns: shared(s.dns) } : s));
  const added = nodeNames
    .filter((name) => !declared.has(name))
    .map((name): ServiceConfig => ({
      name,
      dns: shared(base?.dns ?? []),
      ip: [...(base?.ip ?? [])],
      groupReadKey: base?.groupReadKey ?? false,
      remote: false,
      ...(base?.uid !== undefined ? { uid: base.uid } : {}),
      ...(base?.gid !== undefined ? { gid: base.gid } : {}),
    }));
  return [...completed, ...added];
}
