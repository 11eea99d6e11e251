// The documented examples must stay valid: they are what users copy.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { loadRouteMap } from "../../../src/gateway/route-map.js";

const EXAMPLES = resolve(import.meta.dirname, "../../../examples");

describe("documented examples", () => {
  it("should load examples/bootgate.yaml with every key it shows", async () => {
    const config = await loadConfig({ file: join(EXAMPLES, "bootgate.yaml"), env: {} });
    expect(config.services.map((s) => s.name)).toEqual(["vault", "postgres", "gateway", "core-data", "app-one", "log-shipper", "log-collector", "edge-logs"]);
    expect(config.services.find((s) => s.name === "edge-logs")?.remote).toBe(true);
    expect(config.agent.enroll).toMatchObject({ listen: { host: "0.0.0.0", port: 9465 }, perAddressPerMinute: 120, perServicePerMinute: 60 });
    expect(config.vault.ikm).toEqual({ command: ["/usr/local/bin/fetch-ikm"] });
    expect(config.stages["secretstore-setup"]).toEqual({ timeoutMs: 180_000, retries: 5 });
    expect(config.gateway.routes).toBe(join(EXAMPLES, "routes.toml"));
  });

  it("should load examples/routes.toml against the example's services", async () => {
    const config = await loadConfig({ file: join(EXAMPLES, "bootgate.yaml"), env: {} });
    const routes = await loadRouteMap(config.gateway.routes!, { knownServices: config.services.map((s) => s.name) });
    expect(routes.map((r) => [r.name, r.path, r.service])).toEqual([
      ["core-data", "/api/core-data", "core-data"],
      ["app-one", "/api/app-one", "app-one"],
    ]);
  });

  it("should load examples/checklist/bootgate.yaml and its uwsgi route", async () => {
    const file = join(EXAMPLES, "checklist", "bootgate.yaml");
    const config = await loadConfig({ file, env: {} });
    expect(config.vault.certAuth).toBe(true);
    const web = config.services.find((s) => s.name === "web-app");
    expect(web?.database).toMatchObject({ clientCert: true });
    const routes = await loadRouteMap(config.gateway.routes!, { knownServices: config.services.map((s) => s.name) });
    expect(routes.map((r) => [r.name, r.scheme, r.service])).toEqual([["web-app", "uwsgi", "web-app"]]);
  });
});
