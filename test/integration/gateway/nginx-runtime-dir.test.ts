// A gateway whose config folder is read-only to it (the compose gateway mounts the secrets volume
// :ro): with gateway.nginx.runtimeDir, nginx's pid file, error log and temp folders live in a
// writable folder of their own, and a later apply still finds the running nginx to reload.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { NginxAdapter } from "../../../src/gateway/nginx-adapter.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { bedMaterial, startGatewayBed, type GatewayBed } from "../../support/gateway-stack.js";
import { freePort } from "../../support/gateway-upstream.js";

describe("the nginx adapter with a separate runtime folder", () => {
  let bed: GatewayBed;
  let nginx: NginxHandle;
  let adapter: NginxAdapter;
  let port: number;
  let material: GatewayMaterial;
  let configDir: string;
  let runtimeDir: string;

  beforeAll(async () => {
    bed = await startGatewayBed();
    port = await freePort();
    configDir = join(bed.dir, "config");
    runtimeDir = join(bed.dir, "run");
    adapter = new NginxAdapter({ configDir, runtimeDir, listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
    material = bedMaterial(bed, "bootgate-test");
    expect((await adapter.apply(material)).summary).toContain("not running");
    nginx = await startNginx({ prefixDir: runtimeDir, configFile: adapter.configFile });
  });

  afterAll(async () => {
    await nginx?.stop();
    await bed?.[Symbol.asyncDispose]();
  });

  it("should keep the pid file, error log and temp folders out of the config folder", async () => {
    const token = signJwt(bed.jwtKey, { sub: "alice", iss: "bootgate-test", ttlMs: 600_000 });
    expect((await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem, token })).status).toBe(200);
    const config = await readdir(configDir);
    expect(config).toContain("nginx.conf");
    expect(config.filter((e) => ["nginx.pid", "error.log", "tmp"].includes(e))).toEqual([]);
    expect(await readdir(runtimeDir)).toEqual(expect.arrayContaining(["nginx.pid", "error.log", "tmp"]));
  });

  it("should find the running nginx through the runtime folder and reload it on the next apply", async () => {
    const rotated = await bed.newGatewayTls();
    const result = await adapter.apply({ ...material, tls: rotated });
    expect(result.summary).toMatch(/nginx reloaded/);
    expect((await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem })).fingerprint).toBe(rotated.fingerprint);
  });

  it("should refuse a runtime folder nginx would misread", () => {
    expect(
      () => new NginxAdapter({ configDir, runtimeDir: join(bed.dir, "a b"), listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" }),
    ).toThrow(/runtimeDir/);
  });
});
