// The factory the stages after secretstore-setup use: `openKvClient(config, "bootgate")` for
// bootgate's own token, or a service name for that service's token. It reads
// <secretsDir>/<identity>/token.json and talks TLS verified against <secretsDir>/ca/ca.pem by
// the name `config.vault.service`.
import type { Config } from "../config/normalize.js";
import type { KvClient } from "./kv-client.js";
import { NodeVaultKvClient } from "./node-vault-kv-client.js";
import { servicePath } from "../volume/layout.js";
import { readTokenFile } from "./token-file.js";
import { vaultClientFor } from "./vault-client.js";

export interface OpenedKvClient extends KvClient {
  /** Drops pooled connections; call when done (a pending socket would keep a test alive). */
  close(): void;
}

export async function openKvClient(config: Config, identity: string): Promise<OpenedKvClient> {
  const file = await readTokenFile(config.secretsDir, identity);
  if (!file) {
    throw new Error(`no Vault token for \`${identity}\` at ${servicePath(config.secretsDir, identity, "token")} (run secretstore-setup first)`);
  }
  const client = await vaultClientFor(config, file.token);
  return new NodeVaultKvClient(client, file.kvMount);
}
