// The real OpenBao server (`bao`) as a local process: integrated (raft) storage in a folder —
// OpenBao 2.x has no `file` backend any more — and a TLS listener
// on 127.0.0.1 with the `vault` service's certificate from pki-init. Used by `bootgate up
// --local`, `make vault` and the integration tests. The handle stops the whole process group.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, open, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./free-port.js";
import { trackDetached } from "./detached-children.js";
import { stopProcessGroup } from "./process-group.js";
import { poll } from "../util/poll.js";
import { createVaultClient } from "../vault/vault-client.js";
import { isVaultUnavailable } from "../vault/vault-errors.js";
import { SERVICE_FILES } from "../volume/layout.js";
import { readFile } from "node:fs/promises";

export interface OpenBaoOptions {
  /** Holds the server config, its file storage (`data/`) and its log (`bao.log`). */
  dir: string;
  /** Folder with the listener's cert.pem (leaf + chain) and key.pem: `<secretsDir>/<vault service>`. */
  tlsDir: string;
  /** Trust bundle used to check readiness: `<secretsDir>/ca/ca.pem`. */
  caFile: string;
  /** The name the listener's certificate carries. */
  serverName: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Raft's cluster port; 0 (the default) picks a free one. */
  clusterPort?: number;
  /** Extra HCL appended to the config (e.g. a `seal "static"` stanza). */
  extraHcl?: string;
  /** More config files, each given as its own -config (bootgate's boot config from pki-init). */
  configFiles?: string[];
  /** Raft's election timing; 1 (the default here) is OpenBao's production recommendation. */
  performanceMultiplier?: number;
  /** Raft's node_id (default `bootgate-local`) and HCL inside the storage block (a cluster node's `retry_join`s). */
  nodeId?: string;
  raftHcl?: string;
  /**
   * The audit device's file_path as written in the config (default: absolute, under `dir`). Every
   * node of a cluster must name the same path (OpenBao refuses to become active when it differs
   * from the stored audit table), so cluster nodes use a relative one, resolved in `dir` (the cwd).
   */
  auditFile?: string;
  readyTimeoutMs?: number;
  /** The `bao` binary; default: BOOTGATE_BAO_BIN, then <repo>/.tools/bin/bao, then `bao` on PATH. */
  binary?: string;
}

export interface OpenBaoHandle extends AsyncDisposable {
  address: string;
  port: number;
  pid: number;
  options: OpenBaoOptions;
  stop(): Promise<void>;
}

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function findBaoBinary(explicit?: string): string {
  const candidates = [explicit, process.env.BOOTGATE_BAO_BIN, join(REPO_ROOT, ".tools", "bin", "bao")].filter((c): c is string => !!c);
  for (const c of candidates) if (existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir && existsSync(join(dir, "bao"))) return join(dir, "bao");
  throw new Error("the OpenBao binary `bao` was not found (looked in BOOTGATE_BAO_BIN, .tools/bin and PATH); run `make bao`");
}

export const auditLogPath = (dir: string) => join(dir, "audit", "audit.log");

export function openBaoConfig(options: {
  dataDir: string;
  auditFile: string;
  port: number;
  clusterPort: number;
  certFile: string;
  keyFile: string;
  extraHcl?: string | undefined;
  performanceMultiplier?: number | undefined;
  nodeId?: string | undefined;
  raftHcl?: string | undefined;
}): string {
  const q = JSON.stringify;
  return `# written by bootgate (src/servers/openbao-process.ts)
storage "raft" {
  path = ${q(options.dataDir)}
  node_id = ${q(options.nodeId ?? "bootgate-local")}
  # OpenBao's production recommendation (the default, 5, is for slow networks): elections in
  # about a second instead of several.
  performance_multiplier = ${options.performanceMultiplier ?? 1}
${options.raftHcl ?? ""}}
listener "tcp" {
  address = ${q(`127.0.0.1:${options.port}`)}
  cluster_address = ${q(`127.0.0.1:${options.clusterPort}`)}
  tls_cert_file = ${q(options.certFile)}
  tls_key_file = ${q(options.keyFile)}
  tls_min_version = "tls12"
}
# Who read which secret: every request and response, secrets HMAC'd as OpenBao does by default.
audit "file" "bootgate" {
  description = "bootgate: the stack's audit log"
  options {
    file_path = ${q(options.auditFile)}
    mode = "0600"
  }
}
api_addr = ${q(`https://127.0.0.1:${options.port}`)}
cluster_addr = ${q(`https://127.0.0.1:${options.clusterPort}`)}
ui = false
log_level = "warn"
${options.extraHcl ?? ""}
`;
}

async function waitUntilAnswering(address: string, caPem: Buffer, serverName: string, child: ChildProcess, timeoutMs: number, log: string): Promise<void> {
  const client = createVaultClient({ address, caPem, serverName, requestTimeoutMs: 2_000 });
  try {
    await poll(
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          const tail = await readFile(log, "utf8").then(
            (t) => t.slice(-2000),
            () => "",
          );
          throw new Error(`OpenBao exited (${child.exitCode ?? child.signalCode}) before answering at ${address}; its log ${log}:\n${tail}`);
        }
        try {
          await client.api.read("sys/seal-status");
          return true;
        } catch (error) {
          if (!isVaultUnavailable(error)) throw error;
          return undefined;
        }
      },
      { timeoutMs, intervalMs: 100, what: `OpenBao to answer at ${address}` },
    );
  } finally {
    client.close();
  }
}

export async function startOpenBao(options: OpenBaoOptions): Promise<OpenBaoHandle> {
  const binary = findBaoBinary(options.binary);
  const port = options.port && options.port > 0 ? options.port : await freePort();
  const clusterPort = options.clusterPort && options.clusterPort > 0 ? options.clusterPort : await freePort();
  const dataDir = join(options.dir, "data");
  const auditFile = options.auditFile ?? auditLogPath(options.dir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(dirname(resolve(options.dir, auditFile)), { recursive: true, mode: 0o700 });
  const configFile = join(options.dir, "bao.hcl");
  const certFile = join(options.tlsDir, SERVICE_FILES.cert);
  const keyFile = join(options.tlsDir, SERVICE_FILES.key);
  await writeFile(
    configFile,
    openBaoConfig({
      dataDir,
      auditFile,
      port,
      clusterPort,
      certFile,
      keyFile,
      extraHcl: options.extraHcl,
      performanceMultiplier: options.performanceMultiplier,
      nodeId: options.nodeId,
      raftHcl: options.raftHcl,
    }),
    { mode: 0o600 },
  );
  const logFile = join(options.dir, "bao.log");
  const log = await open(logFile, "a", 0o600);
  // Detached: its own process group, so stop() takes down anything it spawned (plugins) too.
  const configs = [configFile, ...(options.configFiles ?? [])].map((f) => `-config=${f}`);
  const child = spawn(binary, ["server", ...configs], {
    stdio: ["ignore", log.fd, log.fd],
    cwd: options.dir,
    detached: true,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: options.dir },
  });
  trackDetached("openbao", child);
  await log.close();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const address = `https://127.0.0.1:${port}`;
  const stop = () => stopProcessGroup(child, exited);
  try {
    await waitUntilAnswering(address, await readFile(options.caFile), options.serverName, child, options.readyTimeoutMs ?? 30_000, logFile);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, port, pid: child.pid!, options: { ...options, port, clusterPort }, stop, [Symbol.asyncDispose]: stop };
}

/** Stops a server and starts it again on the same port and storage: it comes back sealed. */
export async function restartOpenBao(handle: OpenBaoHandle): Promise<OpenBaoHandle> {
  await handle.stop();
  return startOpenBao(handle.options);
}
