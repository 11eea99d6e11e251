// One way to talk to Vault: node-vault over an https.Agent that trusts only the stack's CA and
// verifies the listener by its SERVICE name, even when the address is 127.0.0.1.
//
// node-vault turns `requestOptions` TLS keys (ca, cert, key, agentOptions) into an https.Agent
// of its own, and passes a prebuilt `httpsAgent` straight to axios. We hand it our own agent:
// that keeps `servername` explicit, ignores VAULT_SKIP_VERIFY (node-vault would honour it), and
// lets close() drop keep-alive sockets. Its `debug` hook would print request bodies (unseal keys,
// tokens) under DEBUG=node-vault, so it is silenced here.
import { readFile } from "node:fs/promises";
import { Agent } from "node:https";
import { createRequire } from "node:module";
import type nodeVault from "node-vault";
import type { Config } from "../config/normalize.js";
import { caBundlePath } from "../volume/layout.js";
import { clusterVaultClient } from "./cluster/cluster-vault-client.js";

export type NodeVaultClient = nodeVault.client;

export interface VaultClientOptions {
  address: string;
  /** PEM trust bundle: `<secretsDir>/ca/ca.pem`. */
  caPem: string | Buffer;
  /** The name the listener's certificate must carry (config.vault.service). */
  serverName: string;
  token?: string | undefined;
  /** Per request; a stuck server must not hold a stage past its budget. */
  requestTimeoutMs?: number;
}

export interface VaultClient {
  api: NodeVaultClient;
  address: string;
  serverName: string;
  caPem: string | Buffer;
  /**
   * A cluster's client: a call whose node died before answering is sent again to the next one,
   * so a write may arrive twice (src/vault/cluster/following-client.ts).
   */
  resendsCalls?: boolean;
  /**
   * Only on a cluster's client: one call through the follower, with whether it went out more than
   * once. For a create whose second handling would leave a second object: its caller can look
   * for the extra one on that rare path alone (src/vault/resent-creates.ts).
   */
  callTracked?: <T>(what: string, request: (api: NodeVaultClient) => Promise<T>) => Promise<{ value: T; resent: boolean }>;
  /** Drops pooled sockets; the client must not be used after. */
  close(): void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

// node-vault (with axios, which touches fetch and so loads Node's undici) costs ~60 ms to load:
// it is required when the first client is made, so a command that never talks to Vault (`run
// --only pki-init`, the first init container) does not pay for it. A synchronous require keeps
// createVaultClient synchronous; node-vault is CommonJS.
let nodeVaultFactory: typeof nodeVault | undefined;
const loadNodeVault = (): typeof nodeVault => (nodeVaultFactory ??= createRequire(import.meta.url)("node-vault") as typeof nodeVault);

export function createVaultClient(options: VaultClientOptions): VaultClient {
  const agent = new Agent({
    ca: options.caPem,
    servername: options.serverName,
    rejectUnauthorized: true,
    keepAlive: true,
    maxSockets: 16,
  });
  const api = loadNodeVault()({
    endpoint: options.address.replace(/\/+$/, ""),
    debug: () => {},
    requestOptions: { httpsAgent: agent, timeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
  });
  // node-vault falls back to $VAULT_TOKEN when given none; a client must carry only what we say.
  api.token = options.token ?? "";
  return { api, address: options.address, serverName: options.serverName, caPem: options.caPem, close: () => agent.destroy() };
}

/** A client for `config.vault.address`, trusting `<secretsDir>/ca/ca.pem`. */
export async function vaultClientFor(config: Config, token?: string, requestTimeoutMs?: number): Promise<VaultClient> {
  const path = caBundlePath(config.secretsDir);
  let caPem: Buffer;
  try {
    caPem = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(`cannot verify Vault at ${config.vault.address}: no CA bundle at ${path} (${code}); pki-init writes it`, { cause: error });
  }
  if (config.vault.cluster.addresses.length > 1) return clusterVaultClient(config, caPem, token, requestTimeoutMs);
  return createVaultClient({
    address: config.vault.address,
    caPem,
    serverName: config.vault.service,
    token,
    ...(requestTimeoutMs ? { requestTimeoutMs } : {}),
  });
}
