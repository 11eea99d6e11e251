#!/usr/bin/env node
// One node of the compose Vault cluster (compose/vault-cluster.yml): writes its own OpenBao
// config to its private /tmp (raft with retry_join to the other nodes, each verified by its own
// name against the stack's CA; its own leaf; the audit file_path every node shares, since OpenBao
// refuses a standby whose path differs from the stored audit table) and the boot config init's
// pki-init wrote for this node (/secrets/<node>/openbao.json: the static seal, so a joiner
// unseals itself, and the `initialize` stanza for the first node while no cluster is recorded on
// bootgate's state volume, src/vault/cluster/init-marker.ts) as /tmp/bao/boot.json. The node with
// the stanza bootstraps alone; every other joins. The container's command then execs
// `bao server` on both files. Env: NODE_NAME (vault-0), NODES (vault-0,vault-1,vault-2),
// VAULT_PEER_WAIT_S (60).
//
// The record is written after the first login, so a crash after the self-initialization but
// before it, then vault-0's data volume lost, hands the stanza to an empty vault-0 beside live
// peers: it would bootstrap a second cluster. So a node with the stanza on empty storage first
// asks its peers (vault-peers.mjs); if any is initialized it drops the stanza and joins.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import https from "node:https";
import { choose, peerAnswer } from "./vault-peers.mjs";

const name = process.env.NODE_NAME;
const nodes = (process.env.NODES ?? "").split(",").filter(Boolean);
if (!name || !nodes.includes(name)) {
  console.error(`vault-node: NODE_NAME (${name ?? "unset"}) must be one of NODES (${nodes.join(",")})`);
  process.exit(2);
}
const data = "/var/lib/openbao";
const ca = "/secrets/ca/ca.pem";
const peers = nodes.filter((n) => n !== name);
const bootConfig = `/secrets/${name}/openbao.json`;
let boot;
try {
  boot = JSON.parse(readFileSync(bootConfig, "utf8"));
} catch (error) {
  console.error(`vault-node: cannot read ${bootConfig} (init's pki-init writes it before pki-ready): ${error.message}`);
  process.exit(1);
}

/** One peer's sys/health, verified against the stack's CA by the peer's own name (as raft's retry_join does). */
const askPeer = (peer, caPem) =>
  new Promise((resolve) => {
    const req = https.get({ host: peer, port: 8200, path: "/v1/sys/health", servername: peer, ca: caPem, timeout: 3000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        if (body.length < 65536) body += chunk;
      });
      res.on("end", () => resolve(peerAnswer(res.statusCode, body)));
      res.on("error", () => resolve("unknown"));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve("unknown"));
  });

// On initialized storage OpenBao ignores the stanza: the node is a member already, nothing to ask.
const storageEmpty = !existsSync(`${data}/vault.db`) && !existsSync(`${data}/raft/raft.db`);
let initializes = "initialize" in boot;
let why = "";
if (initializes && storageEmpty && peers.length > 0) {
  // 60 s: on a first boot every node starts at the same gate (pki-ready), so a peer answers within
  // seconds; one still silent then is down, and must not hold the first boot for ever.
  // A bad value must not make the bound NaN, which would never pass.
  const asked = Number(process.env.VAULT_PEER_WAIT_S ?? "60");
  const waitS = Number.isFinite(asked) && asked >= 0 ? asked : 60;
  const caPem = readFileSync(ca);
  console.log(`vault-node: ${name} has the initialize stanza on empty storage: asking ${peers.join(", ")} (up to ${waitS} s) whether a cluster exists`);
  const { choice, answers } = await choose(peers, (p) => askPeer(p, caPem), { waitMs: waitS * 1000, pollMs: 1000 });
  const said = peers.map((p) => `${p} ${answers[p] === "unknown" ? "no answer" : answers[p]}`).join(", ");
  if (choice === "join") {
    initializes = false;
    delete boot.initialize;
    why = ` (${said}: the initialize stanza is dropped, a second cluster would hold none of this one's data)`;
  } else {
    why = ` (${said}${Object.values(answers).includes("unknown") ? `, after ${waitS} s` : ""})`;
  }
}
const q = JSON.stringify;
const joins = initializes
  ? ""
  : peers
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
writeFileSync("/tmp/bao/boot.json", JSON.stringify(boot, null, 2) + "\n", { mode: 0o600 });
console.log(`vault-node: ${name} ${initializes ? "initializes the cluster" : "joins the cluster"}${why}`);
