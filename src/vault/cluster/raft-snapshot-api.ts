// `sys/storage/raft/snapshot` and `…/snapshot-force`: binary bodies (a gzipped archive), which
// node-vault (JSON over axios) does not carry, so plain https requests — verified against the
// stack's CA by the vault service's name like every other client, no body ever logged.
import { request } from "node:https";
import { RequestError } from "../../errors.js";
import { errorCode } from "../../util/transient.js";

export interface RaftEndpoint {
  address: string;
  caPem: string | Buffer;
  serverName: string;
  token: string;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  body: Buffer;
}

function call(endpoint: RaftEndpoint, method: "GET" | "POST", path: string, body?: Buffer): Promise<Answer> {
  const url = new URL(`/v1/${path}`, endpoint.address);
  const timeoutMs = endpoint.timeoutMs ?? 120_000;
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: endpoint.caPem,
        servername: endpoint.serverName,
        rejectUnauthorized: true,
        headers: { "X-Vault-Token": endpoint.token, ...(body ? { "Content-Type": "application/octet-stream", "Content-Length": body.length } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs / 1000}s`)));
    req.on("error", reject);
    req.end(body);
  }).catch((error: unknown) => {
    throw new RequestError(`Vault at ${endpoint.address}`, `${method} ${path}`, error instanceof Error ? error.message : String(error), {
      transient: true,
      // ECONNREFUSED and its kin: a node that is down, so the cluster's next node is asked.
      code: errorCode(error),
      cause: error,
    });
  });
}

const vaultErrors = (body: Buffer) => {
  try {
    return ((JSON.parse(body.toString("utf8")) as { errors?: string[] }).errors ?? []).join("; ");
  } catch {
    return body.subarray(0, 300).toString("utf8");
  }
};

export async function fetchRaftSnapshot(endpoint: RaftEndpoint): Promise<Buffer> {
  const answer = await call(endpoint, "GET", "sys/storage/raft/snapshot");
  if (answer.status !== 200) {
    throw new RequestError(`Vault at ${endpoint.address}`, "GET sys/storage/raft/snapshot", `HTTP ${answer.status}: ${vaultErrors(answer.body)}`, {
      transient: false,
      statusCode: answer.status,
    });
  }
  return answer.body;
}

/** Installs an archive; `force` (snapshot-force) is for a fresh cluster, whose own keyring the archive replaces. */
export async function installRaftSnapshot(endpoint: RaftEndpoint, archive: Buffer, force: boolean): Promise<void> {
  const path = force ? "sys/storage/raft/snapshot-force" : "sys/storage/raft/snapshot";
  const answer = await call(endpoint, "POST", path, archive);
  if (answer.status >= 300) {
    throw new RequestError(`Vault at ${endpoint.address}`, `POST ${path}`, `HTTP ${answer.status}: ${vaultErrors(answer.body)}`, {
      transient: false,
      statusCode: answer.status,
    });
  }
}
