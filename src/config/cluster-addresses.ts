// Where bootgate finds each Vault node. `up --local` runs every node on loopback beside the first:
// vault.address's port, +2, +4, … (each node's raft cluster port is its API port + 1, OpenBao's
// own convention, as for the single node). In compose each node is a service reached by its own
// name on vault.address's port. An explicit `vault.cluster.addresses` wins.
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

export function clusterAddresses(vaultAddress: string, names: readonly string[], explicit: readonly string[] | undefined): string[] {
  if (explicit) return explicit.map((a) => a.replace(/\/+$/, ""));
  if (names.length === 0) return [];
  const base = new URL(vaultAddress);
  const port = Number(base.port || 443);
  return names.map((name, i) => {
    const url = new URL(base.origin);
    if (LOOPBACK.has(base.hostname)) url.port = String(port + 2 * i);
    else url.hostname = name;
    return url.origin;
  });
}

/** The port of a node's address (443 when none is written). */
export const addressPort = (address: string): number => Number(new URL(address).port || 443);
