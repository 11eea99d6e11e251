// The gateway with a real nginx (njs JWT check) in front of a real HTTPS service with mutual TLS:
//   apply      proxy-setup's nginx step (idle, then under 4 request loops): new generation written, `nginx -t`, swap, SIGHUP, and
//              wait until nginx serves the new generation (what gates gateway-ready)
//   nginx -t   the config test alone, the floor of a safe apply
//   request    one GET on a new TLS connection, JWT checked, through the gateway; beside it the
//              same GET straight to the service (its own mutual TLS): the gateway hop's cost
//   reloads    failed requests among concurrent ones while applies run back to back
// Usage: node --import tsx bench/gateway.ts [--applies 20] [--requests 300]   (needs `make tools`)
import { request } from "node:https";
import { join } from "node:path";
import { signJwt } from "../src/gateway/jwt.js";
import { NginxAdapter } from "../src/gateway/nginx-adapter.js";
import { parseRouteMap } from "../src/gateway/route-map.js";
import { findNginx, startNginx, testNginxConfig } from "../src/servers/nginx-process.js";
import { gatewayGet } from "../test/support/gateway-client.js";
import { issueTestLeaf } from "../test/support/gateway-pki.js";
import { startGatewayBed } from "../test/support/gateway-stack.js";
import { freePort } from "../test/support/gateway-upstream.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, percentile, saveResult, table } from "./lib.mjs";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const APPLIES = arg("applies", 20);
const REQUESTS = arg("requests", 300);

function direct(port: number, caPem: string, client: { certPem: string; keyPem: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/x", servername: "core-data", ca: caPem, cert: client.certPem, key: client.keyPem, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const bed = await startGatewayBed();
const port = await freePort();
const configDir = join(bed.dir, "nginx");
const adapter = new NginxAdapter({ configDir, listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
const material = {
  tls: bed.gatewayTls,
  clientTls: bed.gatewayTls,
  caPem: bed.ca.certPem,
  routes: parseRouteMap(bed.routesToml, "routes.toml"),
  jwt: { key: bed.jwtKey, issuer: "bench" },
};
await adapter.apply(material);
const nginx = await startNginx({ prefixDir: configDir });
const token = signJwt(bed.jwtKey, { sub: "bench", iss: "bench", ttlMs: 3_600_000 });
try {
  const binary = await findNginx();
  const testMs: number[] = [];
  for (let i = 0; i < APPLIES; i++) {
    const t0 = performance.now();
    await testNginxConfig(binary, configDir, adapter.configFile);
    testMs.push(performance.now() - t0);
  }

  const rotated = [bed.gatewayTls, await bed.newGatewayTls()];
  const idleMs: number[] = [];
  for (let i = 0; i < APPLIES; i++) {
    const t0 = performance.now();
    await adapter.apply({ ...material, tls: rotated[i % 2]! });
    idleMs.push(performance.now() - t0);
  }
  const applyMs: number[] = [];
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const loop = async () => {
    while (!stop) {
      try {
        const res = await gatewayGet(port, "/api/core-data/loop", { caPem: bed.ca.certPem, token });
        if (res.status === 200) ok++;
        else failures.push(String(res.status));
      } catch (error) {
        failures.push((error as Error).message);
      }
    }
  };
  const loops = Array.from({ length: 4 }, loop);
  for (let i = 0; i < APPLIES; i++) {
    const t0 = performance.now();
    await adapter.apply({ ...material, tls: rotated[i % 2]! });
    applyMs.push(performance.now() - t0);
  }
  stop = true;
  await Promise.all(loops);

  const viaGateway: number[] = [];
  const straight: number[] = [];
  const client = await issueTestLeaf(bed.dir, bed.ca, "gateway", "bench-client");
  for (let i = 0; i < REQUESTS; i++) {
    let t0 = performance.now();
    const res = await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem, token });
    viaGateway.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
    t0 = performance.now();
    await direct(bed.upstreams.coreData.port, bed.ca.certPem, client);
    straight.push(performance.now() - t0);
  }

  const rows = [
    ["apply, idle (test+swap+SIGHUP+served)", APPLIES, fmt(percentile(idleMs, 50)), fmt(percentile(idleMs, 99)), ""],
    ["apply, under 4 request loops", APPLIES, fmt(percentile(applyMs, 50)), fmt(percentile(applyMs, 99)), ""],
    [
      "nginx -t alone",
      APPLIES,
      fmt(percentile(testMs, 50)),
      fmt(percentile(testMs, 99)),
      `idle apply/test p50 ${(percentile(idleMs, 50) / percentile(testMs, 50)).toFixed(2)}×`,
    ],
    ["GET via gateway (new TLS, JWT)", REQUESTS, fmt(percentile(viaGateway, 50)), fmt(percentile(viaGateway, 99)), ""],
    [
      "GET straight to service (mTLS)",
      REQUESTS,
      fmt(percentile(straight, 50)),
      fmt(percentile(straight, 99)),
      `gateway/direct p50 ${(percentile(viaGateway, 50) / percentile(straight, 50)).toFixed(2)}×`,
    ],
  ];
  console.log(table(["what", "n", "p50 ms", "p99 ms", "ratio"], rows));
  console.log(
    `\nduring ${APPLIES} applies: ${ok} requests answered 200, ${failures.length} failed${failures.length ? `: ${failures.slice(0, 3).join("; ")}` : ""}`,
  );
  const file = saveResult("gateway", {
    applies: APPLIES,
    requests: REQUESTS,
    applyIdleMs: { p50: percentile(idleMs, 50), p99: percentile(idleMs, 99) },
    applyUnderLoadMs: { p50: percentile(applyMs, 50), p99: percentile(applyMs, 99) },
    nginxTestMs: { p50: percentile(testMs, 50), p99: percentile(testMs, 99) },
    viaGatewayMs: { p50: percentile(viaGateway, 50), p99: percentile(viaGateway, 99) },
    directMs: { p50: percentile(straight, 50), p99: percentile(straight, 99) },
    duringReloads: { ok, failed: failures.length },
  });
  console.log(`saved ${file}`);
} finally {
  await nginx.stop();
  await bed[Symbol.asyncDispose]();
}
