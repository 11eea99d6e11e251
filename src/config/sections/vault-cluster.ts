// `vault.cluster` and `vault.snapshots`: OpenBao as a raft cluster of 1, 3 or 5 nodes, and the
// encrypted raft snapshots bootgate keeps of it. An even count is refused: raft's quorum of 2 of 2
// or 3 of 4 survives no more lost nodes than 1 or 3 do, and costs a node.
import { z } from "zod";
import { dnsLabel, duration, httpsUrl, path } from "../fields.js";

export const CLUSTER_SIZES = [1, 3, 5] as const;

/** `vault-0`, `vault-1`, … : the node names bootgate picks when the config names none. */
export const defaultNodeNames = (count: number): string[] => Array.from({ length: count }, (_, i) => `vault-${i}`);

export const vaultClusterSection = z
  .strictObject({
    nodes: z
      .number({ error: "expected the number of Vault nodes: 1, 3 or 5" })
      .refine((n) => (CLUSTER_SIZES as readonly number[]).includes(n), {
        error: (issue) => `expected 1, 3 or 5 nodes (an odd count: raft needs a majority), got \`${String(issue.input)}\``,
      })
      .default(1),
    /** Each node is a service of its own for the PKI (its own leaf, the shared `vault.service` name as a SAN). */
    names: z.array(dnsLabel, { error: "expected a list of node names" }).optional(),
    /**
     * Each node's API address, in the order of `names`. Default (src/config/cluster-addresses.ts):
     * on a loopback vault.address (up --local) its port, +2, +4 (each node's cluster port is its
     * API port + 1); otherwise `https://<node name>:<port of vault.address>` (compose).
     */
    addresses: z.array(httpsUrl, { error: "expected a list of https:// node addresses" }).optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.names) return;
    if (c.names.length !== c.nodes) {
      ctx.addIssue({ code: "custom", path: ["names"], message: `expected ${c.nodes} node names (vault.cluster.nodes), got ${c.names.length}` });
    }
    const seen = new Map<string, number>();
    c.names.forEach((name, i) => {
      const first = seen.get(name);
      if (first !== undefined)
        ctx.addIssue({ code: "custom", path: ["names", i], message: `expected a unique node name; \`${name}\` is also vault.cluster.names.${first}` });
      else seen.set(name, i);
    });
  })
  .superRefine((c, ctx) => {
    if (!c.addresses) return;
    if (c.addresses.length !== c.nodes) {
      ctx.addIssue({ code: "custom", path: ["addresses"], message: `expected ${c.nodes} node addresses (vault.cluster.nodes), got ${c.addresses.length}` });
    }
    const seen = new Map<string, number>();
    c.addresses.forEach((address, i) => {
      const key = URL.canParse(address) ? new URL(address).origin : address;
      const first = seen.get(key);
      if (first !== undefined)
        ctx.addIssue({
          code: "custom",
          path: ["addresses", i],
          message: `expected a unique node address; \`${address}\` is also vault.cluster.addresses.${first}`,
        });
      else seen.set(key, i);
    });
  })
  .transform((c) => ({
    nodes: c.nodes,
    names: c.names ?? (c.nodes > 1 ? defaultNodeNames(c.nodes) : []),
    ...(c.addresses ? { addresses: c.addresses } : {}),
  }))
  .prefault({});

export const vaultSnapshotsSection = z
  .strictObject({
    /** How often the agent takes one; absent: only `bootgate snapshot save`. */
    every: duration.optional(),
    /** How many to keep in `dir` (the oldest go first). */
    keep: z.number({ error: "expected how many snapshots to keep" }).int("expected a whole number").min(1, "expected at least 1").max(10_000).default(30),
    /** Where they go: a persistent folder, never the secrets tmpfs (checked against secretsDir at load). Default `<stateDir>/snapshots`. */
    dir: path.optional(),
  })
  .prefault({});
