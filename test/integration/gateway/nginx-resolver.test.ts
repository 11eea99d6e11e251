// `gateway.nginx.resolver`: upstream names resolved per request (Docker's DNS), so a service
// that is not up yet does not make `nginx -t` fail. Checked with a real nginx.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signJwt } from "../../../src/gateway/jwt.js";
import { NginxAdapter } from "../../../src/gateway/nginx-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { startGatewayBed, type GatewayBed } from "../../support/gateway-stack.js";
import { freePort } from "../../support/gateway-upstream.js";

describe("nginx resolving upstream names per request", () => {
  let bed: GatewayBed;
  let nginx: NginxHandle;
  let port: number;
  let token: string;

  beforeAll(async () => {
    bed = await startGatewayBed();
    port = await freePort();
    const adapter = new NginxAdapter({
      configDir: join(bed.dir, "nginx-resolver"),
      listenAddress: "127.0.0.1",
      listenPort: port,
      serverName: "gateway",
      // Nothing answers DNS here: the point is that nginx -t and the load do not need it.
      resolver: ["127.0.0.1"],
    });
    const routes = parseRouteMap(
      bed.routesToml + `\n[[routes]]\nname = "later"\npath = "/api/later"\nupstream = "https://core-later.invalid:8443"\nservice = "core-data"\n`,
      "routes.toml",
    );
    await adapter.apply({ tls: bed.gatewayTls, clientTls: bed.gatewayTls, caPem: bed.ca.certPem, routes, jwt: { key: bed.jwtKey, issuer: "t" } });
    nginx = await startNginx({ prefixDir: join(bed.dir, "nginx-resolver") });
    token = signJwt(bed.jwtKey, { sub: "carol", iss: "t", ttlMs: 600_000 });
  });

  afterAll(async () => {
    await nginx?.stop();
    await bed?.[Symbol.asyncDispose]();
  });

  it("should load a config naming an upstream that does not resolve yet", () => {
    expect(nginx.pid).toBeGreaterThan(0);
  });

  it("should still map the prefix onto the upstream's path, keep the query, and verify the upstream", async () => {
    const res = await gatewayGet(port, "/api/core-metadata/devices/7?x=1", { caPem: bed.ca.certPem, token });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ upstream: "core-metadata", path: "/v2/devices/7?x=1", user: "carol" });
    const exact = await gatewayGet(port, "/api/core-data", { caPem: bed.ca.certPem, token });
    expect(JSON.parse(exact.body)).toMatchObject({ upstream: "core-data", path: "/" });
    expect((await gatewayGet(port, "/api/rogue/x", { caPem: bed.ca.certPem, token })).status).toBe(502);
  });

  it("should still refuse a request without a token with 401", async () => {
    expect((await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem })).status).toBe(401);
  });

  it("should answer 502 for an upstream whose name does not resolve", async () => {
    const res = await gatewayGet(port, "/api/later/x", { caPem: bed.ca.certPem, token, timeoutMs: 15_000 });
    expect(res.status).toBe(502);
  });
});
