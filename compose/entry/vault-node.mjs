#!/usr/bin/env node
// One node of the compose Vault cluster (compose/vault-cluster.yml): writes its own OpenBao
// config to its private /tmp (raft with retry_join to the other nodes, each verified by its own
// name against the stack's CA; its own leaf; the audit file_path every node shares, since OpenBao
// refuses a standby whose path differs from the stored audit table) and hands `bao server` the
// boot config init's pki-init wrote for this node (/secrets/<node>/openbao.json: the static seal,
// so a joiner unseals itself, and the `initialize` stanza for the first node on the stack's first
// boot only — bootgate decides that from its state volume, src/vault/cluster/init-marker.ts; a
// node's own storage cannot tell a first boot from a wiped node beside live peers). The node
// with the stanza bootstraps alone; every other joins. The container's command then execs
// `bao server`. Env: NODE_NAME (vault-0), NODES (vault-0,vault-1,vault-2).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const name = process.env.NODE_NAME;
const nodes = (process.env.NODES ?? "").split(",").filter(Boolean);
if (!name || !nodes.includes(name)) {
  console.error(`vault-node: NODE_NAME (${name ?? "unset"}) must be one of NODES (${nodes.join(",")})`);
  process.exit(2);
}
const data = "/var/lib/openbao";
const bootConfig = `/secrets/${name}/openbao.json`;
let initializes;
try {
  initializes = "initialize" in JSON.parse(readFileSync(bootConfig, "utf8"));
} catch (error) {
  console.error(`vault-node: cannot read ${bootConfig} (init's pki-init writes it before pki-ready): ${error.message}`);
  process.exit(1);
}
const q = JSON.stringify;
const ca = "/secrets/ca/ca.pem";
const joins = initializes
  ? ""
  : nodes
      .filter((n) => n !== name)
      .map(
        (n) =>
          `  retry_join {\n    leader_api_addr = ${q(`https://${n}:8200`)}\n    leader_tls_servername = ${q(n)}\n    leader_ca_cert_file = ${q(ca)}\n  }\n`,
      )
      .join("");
const hcl = `storage "raft" {
  path = ${q(data)}
  node_id = ${q(name)}
  performance_multiplier = 1
${joins}}
listener "tcp" {
  address = "0.0.0.0:8200"
  cluster_address = "0.0.0.0:8201"
  tls_cert_file = ${q(`/secrets/${name}/cert.pem`)}
  tls_key_file = ${q(`/secrets/${name}/key.pem`)}
  tls_min_version = "tls12"
}
audit "file" "bootgate" {
  description = "bootgate: the stack's audit log"
  options {
    file_path = "/var/log/openbao/audit.log"
    mode = "0600"
  }
}
api_addr = ${q(`https://${name}:8200`)}
cluster_addr = ${q(`https://${name}:8201`)}
ui = false
log_level = "warn"
`;
mkdirSync("/tmp/bao", { recursive: true, mode: 0o700 });
writeFileSync("/tmp/bao/node.hcl", hcl, { mode: 0o600 });
console.log(`vault-node: ${name} ${initializes ? "initializes the cluster" : "joins the cluster"}`);
