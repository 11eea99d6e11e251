// proxy-setup: reads the gateway's certificate back from Vault (never from disk), the JWT key
// (made on first boot), the route map, and applies them through the gateway's adapter. The route
// map is checked first: a bad one is a ConfigError and nothing is touched.
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { ConfigError } from "../errors.js";
import type { GatewayAdapter } from "../gateway/adapter.js";
import { adapterFor } from "../gateway/adapter-for.js";
import { caBundlePath } from "../volume/layout.js";
import { fromKvRecord, gatewayClientTlsKey, gatewayTlsKey } from "../gateway/gateway-tls.js";
import { assertKongRoutes } from "../gateway/kong-entities.js";
import { ensureJwtKey } from "../gateway/jwt-key.js";
import { loadRouteMap } from "../gateway/route-map.js";
import type { Stage } from "../runner/stage.js";
import { serviceKey } from "../vault/layout.js";
import { defaultGatewayDeps, type GatewayStageDeps } from "./gateway-cert.js";
import type { StageEntry } from "./registry.js";

import { GATEWAY_CERT_READY, GATEWAY_READY } from "../gates/gate-names.js";

export interface ProxySetupDeps extends GatewayStageDeps {
  adapterFor(config: Config, caPem: string): GatewayAdapter;
}

export function createProxySetupStage(config: Config, deps: ProxySetupDeps = { ...defaultGatewayDeps, adapterFor }): Stage {
  const gateway = config.gateway.service;
  return {
    name: "proxy-setup",
    needs: [GATEWAY_CERT_READY],
    opens: [GATEWAY_READY],
    async run(ctx) {
      const routesFile = config.gateway.routes;
      if (!routesFile) throw new ConfigError(config.source, [{ path: "gateway.routes", message: "expected the path of a TOML route map" }]);
      const routes = await loadRouteMap(routesFile, { knownServices: config.services.map((s) => s.name) });
      if (config.gateway.kind === "kong") assertKongRoutes(routes, routesFile);
      const caFile = caBundlePath(config.secretsDir);
      const caPem = await readFile(caFile, "utf8").catch((error: NodeJS.ErrnoException) => {
        throw new Error(`cannot read the stack's CA bundle ${caFile} (${error.code ?? error.message}); run pki-init first`, { cause: error });
      });
      const adapter = deps.adapterFor(config, caPem);
      const kv = await deps.openKv(config);
      let jwt;
      let tls;
      let clientTls;
      try {
        tls = fromKvRecord(await kv.read(gatewayTlsKey(gateway)), gatewayTlsKey(gateway));
        const client = await kv.read(gatewayClientTlsKey(gateway));
        clientTls = client ? fromKvRecord(client, gatewayClientTlsKey(gateway)) : tls;
        jwt = await ensureJwtKey(kv, gateway);
      } finally {
        kv.close?.();
      }
      if (jwt.created) ctx.log.info(`created the gateway's JWT signing key in Vault at ${serviceKey(gateway, "jwt")}`);
      const result = await adapter.apply({ tls, clientTls, caPem, routes, jwt: { key: jwt.key, issuer: config.gateway.jwt.issuer } }, ctx.signal);
      ctx.log.info(`${adapter.kind}: ${result.summary}; serving sha256 ${tls.fingerprint}`);
      return { summary: result.summary };
    },
  };
}

export const proxySetupEntry: StageEntry = {
  name: "proxy-setup",
  enabled: (config) => config.gateway.routes !== undefined,
  preflight: async (config) => {
    if (!config.gateway.routes) return;
    const routes = await loadRouteMap(config.gateway.routes, { knownServices: config.services.map((s) => s.name) });
    if (config.gateway.kind === "kong") assertKongRoutes(routes, config.gateway.routes);
  },
  create: (config) => createProxySetupStage(config),
};
