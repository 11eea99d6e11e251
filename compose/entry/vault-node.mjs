#!/usr/bin/env node
// One node of the compose Vault cluster (compose/vault-cluster.yml): writes its own OpenBao
// config to its private /tmp (raft with retry_join to the other nodes, each verified by its own
// name against the stack's CA; its own leaf; the audit file_path every node shares, since OpenBao
// refuses a standby whose path differs from the stored audit table) and its boot config: the
// vault service's openbao.json (the static seal, so a joiner unseals itself) with the
// `initialize` stanza for the first node only, and only while its storage is empty — exactly one
// node initializes (openbao issues 3652, 2274). The container's command then execs `bao server`.
// Env: NODE_NAME (vault-0), NODES (vault-0,vault-1,vault-2).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const name = process.env.NODE_NAME;
const nodes = (process.env.NODES ?? "").split(",").filter(Boolean);
if (!name || !nodes.includes(name)) {
  console.error(`vault-node: NODE_NAME (${name ?? "unset"}) must be one of NODES (${nodes.join(",")})`);
  process.exit(2);
}
const data = "/var/lib/openbao";
const has = (dir, file) => {
  try {
    return readdirSync(dir).includes(file);
  } catch {
    return false;
  }
};
const hasStorage = has(data, "vault.db") || has(join(data, "raft"), "raft.db");
const initializes = name === nodes[0] && !hasStorage;
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
const shared = JSON.parse(readFileSync("/secrets/vault/openbao.json", "utf8"));
if (!initializes) delete shared.initialize;
mkdirSync("/tmp/bao", { recursive: true, mode: 0o700 });
writeFileSync("/tmp/bao/node.hcl", hcl, { mode: 0o600 });
writeFileSync("/tmp/bao/openbao.json", JSON.stringify(shared, null, 2) + "\n", { mode: 0o600 });
console.log(`vault-node: ${name} ${initializes ? "initializes the cluster" : "joins the cluster"}`);
