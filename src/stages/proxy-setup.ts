// proxy-setup: reads the gateway's certificate back from Vault (never from disk), the JWT key
// (made on first boot), the route map, and applies them through the gateway's adapter. The route
// map is checked in preflight: a bad one is a ConfigError and nothing is touched.
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { ConfigError } from "../errors.js";
import { GATEWAY_CERT_READY, GATEWAY_READY } from "../gates/gate-names.js";
import type { GatewayAdapter } from "../gateway/adapter.js";
import { adapterFor } from "../gateway/adapter-for.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { caBundlePath } from "../volume/layout.js";
import { fromKvRecord, gatewayClientTlsKey, gatewayTlsKey } from "../gateway/gateway-tls.js";
import { assertKongRoutes } from "../gateway/kong-entities.js";
import { ensureJwtKey } from "../gateway/jwt-key.js";
import { loadRouteMap, type Route } from "../gateway/route-map.js";
import { defineStage } from "../runner/define-stage.js";
import { serviceKey } from "../vault/layout.js";

export const PROXY_SETUP = "proxy-setup";

export interface ProxySetupDeps extends GatewayKvDeps {
  adapterFor(config: Config, caPem: string): GatewayAdapter;
}

/** The checked route map; undefined when the config names none (run then says so). */
async function loadRoutes(config: Config): Promise<Route[] | undefined> {
  const file = config.gateway.routes;
  if (!file) return undefined;
  const routes = await loadRouteMap(file, { knownServices: config.services.map((s) => s.name) });
  if (config.gateway.kind === "kong") assertKongRoutes(routes, file);
  return routes;
}

export function proxySetupStage(deps: ProxySetupDeps = { ...defaultGatewayKvDeps, adapterFor }) {
  return defineStage({
    name: PROXY_SETUP,
    needs: [GATEWAY_CERT_READY],
    opens: [GATEWAY_READY],
    enabled: (config) => config.gateway.routes !== undefined,
    preflight: loadRoutes,
    async run(ctx, routes) {
      const { config } = ctx;
      const gateway = config.gateway.service;
      if (!routes) throw new ConfigError(config.source, [{ path: "gateway.routes", message: "expected the path of a TOML route map" }]);
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
      const result = await adapter.apply(
        { tls, clientTls, caPem, routes, jwt: { key: jwt.key, previous: jwt.previous, issuer: config.gateway.jwt.issuer } },
        ctx.signal,
      );
      ctx.log.info(`${adapter.kind}: ${result.summary}; serving sha256 ${tls.fingerprint}`);
      return { summary: result.summary };
    },
  });
}
