// The Kong adapter against a recording server that follows Kong's documented Admin API
// (test/support/kong-recorder.ts). Not a real Kong: Kong cannot run on this machine.
import { randomBytes } from "node:crypto";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import { gatewayTlsFrom } from "../../../src/gateway/gateway-tls.js";
import { signJwt, type JwtKey } from "../../../src/gateway/jwt.js";
import { KongAdapter, stableUuid } from "../../../src/gateway/kong-adapter.js";
import { KongAdminClient } from "../../../src/gateway/kong-admin-client.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { KongRecorder } from "../../support/kong-recorder.js";
import { KONG_TEST_ROUTES } from "../../support/kong-routes.js";
import { mint, type Minted } from "../../support/pki-fixtures.js";

const ROUTES = KONG_TEST_ROUTES;

describe("the Kong adapter, against a recorder of Kong's documented Admin API", () => {
  let root: Minted;
  let intermediate: Minted;
  let material: GatewayMaterial;
  let kong: KongRecorder;
  let adapter: KongAdapter;

  const leafTls = async () => {
    const leaf = await mint({ name: "gateway", issuer: intermediate, dns: ["gateway.internal"] });
    return gatewayTlsFrom({ certPem: leaf.pem, keyPem: leaf.keyPem, chainPem: intermediate.pem, source: "pki-init" });
  };

  beforeAll(async () => {
    root = await mint({ name: "Stack Root", ca: true });
    intermediate = await mint({ name: "Stack Intermediate", ca: true, issuer: root });
    const key: JwtKey = { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: "k1" };
    const tls = await leafTls();
    material = { tls, clientTls: tls, caPem: root.pem + intermediate.pem, routes: parseRouteMap(ROUTES, "routes.toml"), jwt: { key, issuer: "bootgate" } };
  });

  beforeEach(async () => {
    kong = await KongRecorder.start();
    adapter = new KongAdapter({ client: new KongAdminClient(kong.url), gateway: "gateway" });
  });

  afterEach(async () => {
    await kong[Symbol.asyncDispose]();
  });

  it("should upsert the CA, the certificate with its SNIs, a TLS-verified service and a route per entry, and the JWT plugin", async () => {
    const result = await adapter.apply(material);
    expect(result.summary).toMatch(/2 routes, 2 SNIs/);
    expect(
      kong.requests.every((r) => r.status === 200),
      JSON.stringify(kong.requests.filter((r) => r.status !== 200)),
    ).toBe(true);
    expect(new Set(kong.requests.map((r) => r.method))).toEqual(new Set(["PUT", "GET"]));
    expect(kong.table("ca_certificates").size).toBe(2);
    const certId = stableUuid("certificate:gateway");
    expect(kong.table("certificates").get(certId)?.key).toBe(material.tls.keyPem);
    expect([...kong.table("snis").keys()].sort()).toEqual(["gateway", "gateway.internal"]);
    expect(kong.table("services").get("core-metadata")).toMatchObject({
      protocol: "https",
      host: "core-metadata",
      port: 59881,
      path: "/v2/",
      tls_verify: true,
      client_certificate: { id: stableUuid("client-certificate:gateway") },
      ca_certificates: [...kong.table("ca_certificates").keys()],
    });
    expect(kong.table("routes").get("core-data")).toMatchObject({
      paths: ["/api/core-data"],
      strip_path: true,
      protocols: ["https"],
      service: { name: "core-data" },
    });
    expect([...kong.table("plugins").values()][0]).toMatchObject({ name: "jwt", config: { key_claim_name: "iss" } });
    expect(kong.table("jwt_secrets").get("bootgate")).toMatchObject({ key: "bootgate", algorithm: "HS256" });
  });

  it("should configure Kong so that it accepts our tokens and refuses expired, forged and foreign ones", async () => {
    await adapter.apply(material);
    const key = material.jwt.key;
    expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 60_000 }))).toBe(true);
    expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 1000, nowMs: Date.now() - 60_000 }))).toBe(false);
    const other: JwtKey = { ...key, secret: randomBytes(32).toString("base64url") };
    expect(kong.kongWouldAccept(signJwt(other, { sub: "alice", iss: "bootgate", ttlMs: 60_000 }))).toBe(false);
    expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "someone-else", ttlMs: 60_000 }))).toBe(false);
  });

  it("should be idempotent: a second apply leaves the same entities", async () => {
    await adapter.apply(material);
    const snapshot = JSON.stringify([...kong.entities].map(([t, rows]) => [t, [...rows.entries()]]));
    const firstCount = kong.requests.length;
    await adapter.apply(material);
    expect(kong.requests.length).toBe(2 * firstCount);
    expect(JSON.stringify([...kong.entities].map(([t, rows]) => [t, [...rows.entries()]]))).toBe(snapshot);
  });

  it("should remove the routes and services it made that the map no longer names, and nothing it did not make", async () => {
    await adapter.apply(material);
    const client = new KongAdminClient(kong.url);
    await client.put("/services/hand-made", { protocol: "https", host: "legacy", port: 443 });
    await adapter.apply({ ...material, routes: material.routes.filter((r) => r.name === "core-data") });
    expect(kong.deleted).toEqual(["routes/core-metadata", "services/core-metadata"]);
    expect([...kong.table("routes").keys()]).toEqual(["core-data"]);
    expect([...kong.table("services").keys()].sort()).toEqual(["core-data", "hand-made"]);
  });

  it("should replace the certificate in place on rotation", async () => {
    await adapter.apply(material);
    const rotated = await leafTls();
    await adapter.apply({ ...material, tls: rotated });
    expect(kong.table("certificates").size).toBe(2);
    expect(kong.table("certificates").get(stableUuid("certificate:gateway"))!.cert).toContain(rotated.certPem.trim());
  });

  it("should refuse an upstream named by IP address, since Kong verifies an upstream by its host", async () => {
    const routes = parseRouteMap(`[[routes]]\nname = "a"\npath = "/a"\nupstream = "https://127.0.0.1:1"\nservice = "core-data"\n`, "r.toml");
    await expect(adapter.apply({ ...material, routes })).rejects.toThrow(/service name \(https:\/\/core-data:1\)/);
    expect(kong.requests).toHaveLength(0);
  });

  it("should report Kong's refusal without echoing the key it was sent", async () => {
    kong.failNext = { prefix: "/certificates/", status: 400, message: "schema violation (certificate does not match key)" };
    const error = await adapter.apply(material).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/^Kong Admin API: PUT \/certificates\/.* failed: HTTP 400: schema violation/);
    expect(error?.message).not.toContain("PRIVATE KEY");
  });

  it("should mark a Kong 5xx as worth retrying", async () => {
    kong.failNext = { prefix: "/services/", status: 503, message: "database unavailable" };
    await expect(adapter.apply(material)).rejects.toMatchObject({ transient: true });
  });

  it("should refuse a plain-HTTP Admin API that is not on loopback", () => {
    expect(() => new KongAdminClient("http://kong:8001", { source: "bootgate.yaml" })).toThrow(ConfigError);
    expect(() => new KongAdminClient("http://127.0.0.1:8001")).not.toThrow();
  });
});
