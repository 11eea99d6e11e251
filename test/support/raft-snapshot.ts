// Raft snapshots of a test stack's Vault, taken and restored the way an operator would with no
// root token in the world: bootgate's identity (the IKM) writes an `svc-` policy for snapshots and
// mints a token with it through the service token role — the "honest limit" of docs/openbao.md,
// used on purpose, so bootgate's own policy stays without sys/storage/raft.
// The bodies are binary (a gzipped archive), so the requests are plain https ones, verified
// against the stack's CA by the vault service's name like every other client.
import { request } from "node:https";
import type { Config } from "../../src/config/normalize.js";
import { ResentCreates } from "../../src/vault/resent-creates.js";
import { createPeriodicToken } from "../../src/vault/tokens.js";
import { vaultClientFor } from "../../src/vault/vault-client.js";
import { inspectVault } from "./vault-inspect.js";

export const SNAPSHOT_POLICY = "svc-operator-snapshot";

const SNAPSHOT_POLICY_TEXT = `path "sys/storage/raft/snapshot" {
  capabilities = ["read", "update", "sudo"]
}
path "sys/storage/raft/snapshot-force" {
  capabilities = ["update", "sudo"]
}
`;

/** A token that may save and restore snapshots (and nothing else), kept in memory by the test. */
export async function snapshotOperatorToken(config: Config, ikmFile: string): Promise<string> {
  await using inspector = await inspectVault(config, ikmFile);
  await inspector.root.api.write(`sys/policies/acl/${SNAPSHOT_POLICY}`, { policy: SNAPSHOT_POLICY_TEXT });
  const resent = new ResentCreates();
  const token = await createPeriodicToken(inspector.root, { policies: [SNAPSHOT_POLICY], displayName: "operator-snapshot", meta: {} }, resent);
  await resent.settle(inspector.root);
  return token.token;
}

interface Answer {
  status: number;
  body: Buffer;
}

async function call(config: Config, token: string, method: "GET" | "POST", path: string, body?: Buffer): Promise<Answer> {
  const client = await vaultClientFor(config);
  const url = new URL(`/v1/${path}`, config.vault.address);
  try {
    return await new Promise<Answer>((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: client.caPem,
          servername: config.vault.service,
          rejectUnauthorized: true,
          headers: { "X-Vault-Token": token, ...(body ? { "Content-Type": "application/octet-stream", "Content-Length": body.length } : {}) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on("error", reject);
      req.end(body);
    });
  } finally {
    client.close();
  }
}

/** `GET sys/storage/raft/snapshot`: the archive's bytes. */
export async function saveSnapshot(config: Config, token: string): Promise<Buffer> {
  const answer = await call(config, token, "GET", "sys/storage/raft/snapshot");
  if (answer.status !== 200) throw new Error(`snapshot save: HTTP ${answer.status}: ${answer.body.toString().slice(0, 500)}`);
  return answer.body;
}

/**
 * `POST sys/storage/raft/snapshot`: Vault first checks the snapshot's hash file, sealed with the
 * seal key of its day, so it takes only a snapshot whose seal key it still holds (current or
 * previous). `force` (`snapshot-force`) skips that check. The HTTP status and Vault's errors.
 */
export async function restoreSnapshot(
  config: Config,
  token: string,
  snapshot: Buffer,
  options: { force?: boolean } = {},
): Promise<{ status: number; errors: string }> {
  const answer = await call(config, token, "POST", options.force ? "sys/storage/raft/snapshot-force" : "sys/storage/raft/snapshot", snapshot);
  return { status: answer.status, errors: answer.status < 300 ? "" : answer.body.toString().slice(0, 1000) };
}
