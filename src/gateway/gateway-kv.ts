// How the gateway's commands and stages reach Vault: with bootgate's own token, through one
// injectable opener so tests can hand them a Map-backed KV instead.
import type { Config } from "../config/normalize.js";
import type { KvClient } from "../vault/kv-client.js";
import { BOOTGATE_IDENTITY } from "../vault/layout.js";

export interface GatewayKv extends KvClient {
  close?(): void;
}

export interface GatewayKvDeps {
  openKv(config: Config): Promise<GatewayKv>;
}

export const defaultGatewayKvDeps: GatewayKvDeps = {
  // Imported on first use, so loading this module does not load the Vault client.
  openKv: async (config) => (await import("../vault/open-kv-client.js")).openKvClient(config, BOOTGATE_IDENTITY),
};
