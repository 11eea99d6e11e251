// The nginx adapter when nginx's pid file is no use to bootgate (nginx in another container):
// it reloads through `reloadElsewhere` (in production a SIGHUP to the gateway's container, see
// test/e2e/docker-client.test.ts) and still waits until the new generation and certificate are
// served. Here a real nginx stands in for the container: its pid file is removed after start,
// and the stand-in signals it by the pid the launcher returned.
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import { NginxAdapter, type NginxAdapterOptions } from "../../../src/gateway/nginx-adapter.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { bedMaterial, startGatewayBed, type GatewayBed } from "../../support/gateway-stack.js";
import { freePort } from "../../support/gateway-upstream.js";

describe("reloading an nginx the adapter cannot signal by pid", () => {
  let bed: GatewayBed;
  let nginx: NginxHandle;
  let port: number;
  let material: GatewayMaterial;
  const calls: string[] = [];
  const adapterWith = (reloadElsewhere: NginxAdapterOptions["reloadElsewhere"], reloadTimeoutMs = 15_000) =>
    new NginxAdapter({
      configDir: join(bed.dir, "nginx"),
      listenAddress: "127.0.0.1",
      listenPort: port,
      serverName: "gateway",
      reloadTimeoutMs,
      reloadElsewhere,
    });

  beforeAll(async () => {
    bed = await startGatewayBed();
    port = await freePort();
    material = bedMaterial(bed, "bootgate-test");
    // Before nginx runs: nothing to reload anywhere, nginx starts on the config.
    const first = await adapterWith(async () => ({ reloaded: false, reason: "no running gateway container in compose project t" })).apply(material);
    expect(first.summary).toContain("nginx not running here");
    expect(first.summary).toContain("(no container signalled: no running gateway container in compose project t)");
    nginx = await startNginx({ prefixDir: join(bed.dir, "nginx") });
    // As seen from another pid namespace: no usable pid file.
    await rm(join(bed.dir, "nginx", "nginx.pid"));
  });

  afterAll(async () => {
    await nginx?.stop();
    await bed?.[Symbol.asyncDispose]();
  });

  it("should reload through reloadElsewhere and return only once the new certificate is served", async () => {
    const rotated = await bed.newGatewayTls();
    const adapter = adapterWith(async () => {
      calls.push("reload");
      process.kill(nginx.pid, "SIGHUP");
      return { reloaded: true, containers: ["stack-gateway-1"], probeHost: "127.0.0.1" };
    });
    const result = await adapter.apply({ ...material, tls: rotated });
    expect(calls).toEqual(["reload"]);
    expect(result.summary).toMatch(/^nginx reloaded in container stack-gateway-1 \(3 routes, generation [0-9a-f]{16}\)$/);
    const res = await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem });
    expect(res.fingerprint).toBe(rotated.fingerprint);
    material = { ...material, tls: rotated };
  });

  it("should fail, naming the generation it waited for, when the reload it was told of never happens", async () => {
    const rotated = await bed.newGatewayTls();
    const adapter = adapterWith(async () => ({ reloaded: true, containers: ["stack-gateway-1"], probeHost: "127.0.0.1" }), 1_000);
    const error = await adapter.apply({ ...material, tls: rotated }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /timed out after 1s waiting for nginx to serve generation [0-9a-f]{16} \(last: serving generation [0-9a-f]{16} with certificate/,
    );
    // The old certificate is still served: nothing was half-applied in nginx.
    const res = await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem });
    expect(res.fingerprint).toBe(material.tls.fingerprint);
  });

  it("should keep, while no nginx runs here, the generation the replaced config names (one may be starting on it), and drop it one apply later", async () => {
    const dir = join(bed.dir, "nginx-cold");
    const adapter = new NginxAdapter({
      configDir: dir,
      listenAddress: "127.0.0.1",
      listenPort: await freePort(),
      serverName: "gateway",
      reloadElsewhere: async () => ({ reloaded: false, reason: "no running gateway container in compose project t" }),
    });
    const generations = async () => (await readdir(dir)).filter((e) => e.startsWith("gen-")).sort();
    const named = async () => /\/gen-([0-9a-f]{16})\//.exec(await readFile(join(dir, "nginx.conf"), "utf8"))![1]!;
    await adapter.apply(material);
    const a = await named();
    await adapter.apply(material);
    const b = await named();
    // An nginx that read the config naming `a` just before it was replaced still finds every file of it.
    expect(await generations()).toEqual([`gen-${a}`, `gen-${b}`].sort());
    expect((await readdir(join(dir, `gen-${a}`))).sort()).toEqual((await readdir(join(dir, `gen-${b}`))).sort());
    await adapter.apply(material);
    const c = await named();
    expect(await generations()).toEqual([`gen-${b}`, `gen-${c}`].sort());
  });
});
