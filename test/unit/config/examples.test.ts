// The documented examples must stay valid: they are what users copy.
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { loadRouteMap } from "../../../src/gateway/route-map.js";

const EXAMPLES = resolve(import.meta.dirname, "../../../examples");
const COMPOSE = resolve(import.meta.dirname, "../../../compose");

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

  it("should load compose/checklist/bootgate.yaml as compose/bootgate.yaml plus the checklist's services, and its routes", async () => {
    const base = await loadConfig({ file: join(COMPOSE, "bootgate.yaml"), env: {} });
    const config = await loadConfig({ file: join(COMPOSE, "checklist", "bootgate.yaml"), env: {} });
    // The base stack's services unchanged (their uids are compose/docker-compose.yml's), then the new ones.
    expect(config.services.slice(0, base.services.length)).toEqual(base.services);
    expect(config.services.slice(base.services.length).map((s) => [s.name, s.uid, s.gid])).toEqual([
      ["web-app", 1201, 1201],
      ["log-shipper", 1202, 1202],
      ["log-collector", 1203, 1203],
    ]);
    expect(config.services.find((s) => s.name === "web-app")?.database).toMatchObject({ name: "webapp", clientCert: true });
    expect(config.vault.certAuth).toBe(true);
    expect({ ...config.vault, certAuth: base.vault.certAuth }).toEqual(base.vault);
    expect(config.postgres).toEqual(base.postgres);
    // In the init container the route map is at /etc/bootgate/routes.toml (compose/checklist.yml mounts it).
    expect(config.gateway.routes).toBe("/etc/bootgate/routes.toml");
    const routes = await loadRouteMap(join(COMPOSE, "checklist", "routes.toml"), { knownServices: config.services.map((s) => s.name) });
    expect(routes.map((r) => [r.name, r.scheme, r.service])).toEqual([
      ["core-data", "https", "core-data"],
      ["core-metadata", "https", "core-metadata"],
      ["web-app", "uwsgi", "web-app"],
    ]);
  });
});
