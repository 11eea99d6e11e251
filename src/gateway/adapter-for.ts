// The adapter the config asks for.
import type { Config } from "../config/normalize.js";
import type { GatewayAdapter } from "./adapter.js";
import { kongConfigDir, nginxConfigDir } from "./gateway-paths.js";
import { KongAdapter } from "./kong-adapter.js";
import { KongDeclarativeAdapter } from "./kong-declarative-adapter.js";
import { KongAdminClient } from "./kong-admin-client.js";
import { NginxAdapter } from "./nginx-adapter.js";

export function adapterFor(config: Config, caPem: string): GatewayAdapter {
  const { gateway } = config;
  const service = config.services.find((s) => s.name === gateway.service);
  if (gateway.kind === "kong" && gateway.kong.mode === "declarative") {
    return new KongDeclarativeAdapter({
      gateway: gateway.service,
      configDir: kongConfigDir(config),
      owner: { uid: service?.uid, gid: service?.gid },
      proxyPort: gateway.kong.proxyPort,
      reloadTimeoutMs: gateway.kong.reloadTimeoutMs,
      // SIGHUP to Kong's container: its nginx master reloads and Kong reads the file again.
      reloadElsewhere: async (signal) => (await import("../docker/gateway-reload.js")).reloadGatewayContainer(config, signal ? { signal } : {}),
    });
  }
  if (gateway.kind === "kong") {
    const client = new KongAdminClient(gateway.kong.adminUrl, { caPem, source: config.source });
    return new KongAdapter({ client, gateway: gateway.service });
  }
  return new NginxAdapter({
    owner: { uid: service?.uid, gid: service?.gid },
    binary: gateway.nginx.binary,
    configDir: nginxConfigDir(config),
    ...(gateway.nginx.runtimeDir ? { runtimeDir: gateway.nginx.runtimeDir } : {}),
    listenAddress: gateway.nginx.address,
    listenPort: gateway.nginx.listen,
    serverName: gateway.service,
    reloadTimeoutMs: gateway.nginx.reloadTimeoutMs,
    njsModule: gateway.nginx.njsModule,
    ...(gateway.nginx.resolver ? { resolver: gateway.nginx.resolver } : {}),
    // Loaded only when nginx's pid is no use here (nginx in its own container).
    reloadElsewhere: async (signal) => (await import("../docker/gateway-reload.js")).reloadGatewayContainer(config, signal ? { signal } : {}),
  });
}
