// `bootgate status` for the gateway: the route map, and for nginx whether it runs, which
// generation it serves and the certificate of that generation (public part only; no Vault call).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describeCause } from "../errors.js";
import { servedCertificate } from "./served-certificate.js";
import { nginxConfigDir } from "../gateway/gateway-paths.js";
import { kongDeclarativeRows } from "./kong-declarative-status.js";
import { NginxAdapter } from "../gateway/nginx-adapter.js";
import { GENERATION_FILES } from "../gateway/nginx-config.js";
import { loadRouteMap } from "../gateway/route-map.js";
import type { StatusProvider } from "./section.js";

export const gatewayStatus: StatusProvider = async (config) => {
  const { gateway } = config;
  if (!gateway.routes) return undefined;
  const rows: string[][] = [["kind", gateway.kind]];
  const data: Record<string, unknown> = { kind: gateway.kind, routesFile: gateway.routes };
  try {
    const routes = await loadRouteMap(gateway.routes, { knownServices: config.services.map((s) => s.name) });
    rows.push(["routes", `${routes.length} in ${gateway.routes}: ${routes.map((r) => `${r.path} → ${r.service}`).join(", ")}`]);
    data.routes = routes.map((r) => ({ name: r.name, path: r.path, service: r.service }));
  } catch (error) {
    rows.push(["routes", `invalid: ${describeCause(error).split("\n").slice(0, 2).join(" ")}`]);
    data.routesError = describeCause(error);
  }
  if (gateway.kind === "kong" && gateway.kong.mode === "declarative") {
    await kongDeclarativeRows(config, rows, data);
  } else if (gateway.kind === "kong") {
    rows.push(["admin api", gateway.kong.adminUrl]);
    data.adminUrl = gateway.kong.adminUrl;
  } else {
    const dir = nginxConfigDir(config);
    const adapter = new NginxAdapter({ configDir: dir, listenAddress: gateway.nginx.address, listenPort: gateway.nginx.listen, serverName: gateway.service });
    const pid = await adapter.runningPid().catch(() => undefined);
    const generation = (await readdir(dir).catch(() => [] as string[])).find((e) => e.startsWith("gen-"));
    rows.push([
      "nginx",
      `${pid ? `running (pid ${pid})` : "not running here"}; ${gateway.nginx.address}:${gateway.nginx.listen}; config ${generation ? join(dir, generation) : "not written yet"}`,
    ]);
    data.nginx = {
      running: pid !== undefined,
      pid: pid ?? null,
      listen: `${gateway.nginx.address}:${gateway.nginx.listen}`,
      generation: generation?.slice(4) ?? null,
    };
    if (generation) {
      try {
        const served = servedCertificate(await readFile(join(dir, generation, GENERATION_FILES.fullchain), "utf8"));
        rows.push(served.row);
        data.certificate = served.data;
      } catch (error) {
        rows.push(["certificate", `unreadable: ${describeCause(error)}`]);
      }
    }
  }
  return { key: "gateway", title: "gateway", columns: ["item", "state"], rows, data };
};
