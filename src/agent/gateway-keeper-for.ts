// The gateway keeper wired to the real parts: KV through the agent's own Vault session, the
// adapter the config asks for, the route map and the CA bundle read afresh for every apply.
// Undefined when the stack has no gateway (no route map, or no such service).
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { adapterFor } from "../gateway/adapter-for.js";
import { loadRouteMap } from "../gateway/route-map.js";
import { gatewayServiceOf } from "../pki/provision.js";
import { NodeVaultKvClient } from "../vault/node-vault-kv-client.js";
import { caBundlePath } from "../volume/layout.js";
import type { AgentState } from "./agent-state.js";
import { gatewayKeeper, type GatewayKeeper } from "./gateway-keeper.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";
import type { LeafIssuer } from "./leaf-issuer.js";
import type { VaultSession } from "./vault-session.js";

export function gatewayKeeperFor(
  config: Config,
  parts: { session: VaultSession; issuer: LeafIssuer; state: AgentState; timers: KeyedTimers; clock: Clock; log: (line: string) => void },
): GatewayKeeper | undefined {
  const gateway = gatewayServiceOf(config);
  const routesFile = config.gateway.routes;
  if (!gateway || routesFile === undefined) return undefined;
  return gatewayKeeper({
    config,
    gateway,
    ...parts,
    renewBeforeMs: config.pki.renewBeforeMs,
    kv: async () => new NodeVaultKvClient(await parts.session.client(), config.vault.kvMount),
    adapter: (caPem) => adapterFor(config, caPem),
    material: async () => ({
      routes: await loadRouteMap(routesFile, { knownServices: config.services.map((s) => s.name) }),
      caPem: await readFile(caBundlePath(config.secretsDir), "utf8"),
    }),
  });
}
