// Everything the gateway serves, read back from Vault and handed to its adapter: the certificate
// it serves, the one it presents to services, both JWT keys of the ring. The agent calls this
// after it renewed the certificate or rotated the key; nothing of it passes through the volume.
import type { Config } from "../config/normalize.js";
import type { KvClient } from "../vault/kv-client.js";
import type { ApplyResult, GatewayAdapter } from "./adapter.js";
import { fromKvRecord, gatewayClientTlsKey, gatewayTlsKey, type GatewayTls } from "./gateway-tls.js";
import { jwtKeyPath, readJwtKeyRing } from "./jwt-key.js";
import type { Route } from "./route-map.js";

export interface AppliedGateway extends ApplyResult {
  tls: GatewayTls;
}

export async function applyGatewayFromVault(
  config: Config,
  kv: KvClient,
  adapter: GatewayAdapter,
  material: { routes: readonly Route[]; caPem: string },
  signal?: AbortSignal,
): Promise<AppliedGateway> {
  const gateway = config.gateway.service;
  const tls = fromKvRecord(await kv.read(gatewayTlsKey(gateway)), gatewayTlsKey(gateway));
  const client = await kv.read(gatewayClientTlsKey(gateway));
  const clientTls = client ? fromKvRecord(client, gatewayClientTlsKey(gateway)) : tls;
  const ring = await readJwtKeyRing(kv, gateway);
  if (!ring) throw new Error(`no JWT signing key in Vault at ${jwtKeyPath(gateway)}: run proxy-setup first`);
  const result = await adapter.apply(
    { tls, clientTls, caPem: material.caPem, routes: material.routes, jwt: { key: ring.key, previous: ring.previous, issuer: config.gateway.jwt.issuer } },
    signal,
  );
  return { ...result, tls };
}
