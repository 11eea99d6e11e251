// A real nginx (Debian's, with njs) in front of two real HTTPS micro services, configured by
// the nginx adapter. Certificates come from a throwaway openssl CA here; the Vault-backed
// stages are tested in proxy-setup.test.ts.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { NginxAdapter } from "../../../src/gateway/nginx-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { bedMaterial, newJwtKey, startGatewayBed, type GatewayBed } from "../../support/gateway-stack.js";
import { freePort, type UpstreamReply } from "../../support/gateway-upstream.js";

const ISSUER = "bootgate-test";

describe("the nginx gateway adapter with a real nginx", () => {
  let bed: GatewayBed;
  let nginx: NginxHandle;
  let adapter: NginxAdapter;
  let port: number;
  let material: GatewayMaterial;
  let token: string;

  beforeAll(async () => {
    bed = await startGatewayBed();
    port = await freePort();
    adapter = new NginxAdapter({ configDir: join(bed.dir, "nginx"), listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
    material = bedMaterial(bed, ISSUER);
    const first = await adapter.apply(material);
    expect(first.summary).toContain("not running");
    nginx = await startNginx({ prefixDir: join(bed.dir, "nginx") });
    token = signJwt(bed.jwtKey, { sub: "alice", iss: ISSUER, ttlMs: 3_600_000 });
  });

  afterAll(async () => {
    await nginx?.stop();
    await bed?.[Symbol.asyncDispose]();
  });

  it("should route each path to its own upstream over mutual TLS, for a client that trusts only the stack CA", async () => {
    const data = await gatewayGet(port, "/api/core-data/readings?limit=2", { caPem: bed.ca.certPem, token });
    expect(data.status).toBe(200);
    expect(data.fingerprint).toBe(bed.gatewayTls.fingerprint);
    const dataReply = JSON.parse(data.body) as UpstreamReply;
    expect(dataReply).toMatchObject({ upstream: "core-data", path: "/readings?limit=2", user: "alice", clientCert: "gateway" });
    expect(dataReply.authorization).toBeNull();

    const meta = await gatewayGet(port, "/api/core-metadata/devices", { caPem: bed.ca.certPem, token });
    expect(meta.status).toBe(200);
    expect(JSON.parse(meta.body)).toMatchObject({ upstream: "core-metadata", path: "/v2/devices" });
  });

  it("should refuse a request without a token with 401 before it reaches the service", async () => {
    const before = bed.upstreams.coreData.hits;
    const res = await gatewayGet(port, "/api/core-data/readings", { caPem: bed.ca.certPem });
    expect(res.status).toBe(401);
    expect(String(res.headers["www-authenticate"])).toContain("Bearer");
    expect(bed.upstreams.coreData.hits).toBe(before);
  });

  it("should refuse forged, expired, foreign-issuer and malformed tokens with 401", async () => {
    const before = bed.upstreams.coreData.hits;
    const forged = signJwt(newJwtKey(), { sub: "mallory", iss: ISSUER, ttlMs: 3_600_000 });
    const expired = signJwt(bed.jwtKey, { sub: "alice", iss: ISSUER, ttlMs: 60_000, nowMs: Date.now() - 3_600_000 });
    const otherIssuer = signJwt(bed.jwtKey, { sub: "alice", iss: "someone-else", ttlMs: 3_600_000 });
    const [h, p] = token.split(".");
    const tampered = `${h}.${Buffer.from(JSON.stringify({ sub: "root", iss: ISSUER, exp: 4e9 })).toString("base64url")}.${token.split(".")[2]}`;
    for (const bad of [forged, expired, otherIssuer, tampered, `${h}.${p}`, "not-a-jwt"]) {
      const res = await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem, token: bad });
      expect(res.status, `token ${bad.slice(0, 20)}…`).toBe(401);
    }
    expect(bed.upstreams.coreData.hits).toBe(before);
  });

  it("should refuse an upstream whose certificate comes from another CA with 502", async () => {
    const res = await gatewayGet(port, "/api/rogue/anything", { caPem: bed.ca.certPem, token });
    expect(res.status).toBe(502);
    expect(bed.upstreams.rogue.hits).toBe(0);
  });

  it("should answer 404 for a path no route covers", async () => {
    const res = await gatewayGet(port, "/api/nothing-here", { caPem: bed.ca.certPem, token });
    expect(res.status).toBe(404);
  });

  it("should keep the running config when nginx -t refuses a candidate", async () => {
    const configBefore = await readFile(adapter.configFile, "utf8");
    const broken = parseRouteMap(`[[routes]]\nname = "ghost"\npath = "/ghost"\nupstream = "https://no-such-host.invalid:8443"\n`, "ghost.toml");
    await expect(adapter.apply({ ...material, routes: broken })).rejects.toThrow(/nginx -t refused/);
    expect(await readFile(adapter.configFile, "utf8")).toBe(configBefore);
    const res = await gatewayGet(port, "/api/core-data/still", { caPem: bed.ca.certPem, token });
    expect(res.status).toBe(200);
  });

  it("should serve a rotated certificate after apply, with no failed request among concurrent ones during the reload", async () => {
    const rotated = await bed.newGatewayTls();
    expect(rotated.fingerprint).not.toBe(bed.gatewayTls.fingerprint);
    let stop = false;
    const seen = new Set<string>();
    const failures: string[] = [];
    let count = 0;
    const loop = async () => {
      while (!stop) {
        try {
          const res = await gatewayGet(port, "/api/core-data/loop", { caPem: bed.ca.certPem, token });
          count++;
          seen.add(res.fingerprint);
          if (res.status !== 200) failures.push(`status ${res.status}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    await new Promise((r) => setTimeout(r, 200));
    await adapter.apply({ ...material, tls: rotated });
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(10);
    expect(seen).toContain(rotated.fingerprint);
    const after = await gatewayGet(port, "/api/core-data/after", { caPem: bed.ca.certPem, token });
    expect(after.fingerprint).toBe(rotated.fingerprint);
    material = { ...material, tls: rotated };
  });

  it("should serve an imported certificate to clients while presenting the stack's certificate to services", async () => {
    const { issueTestLeaf } = await import("../../support/gateway-pki.js");
    const { gatewayTlsFrom } = await import("../../../src/gateway/gateway-tls.js");
    const publicLeaf = await issueTestLeaf(bed.dir, bed.foreign, "gateway", "gateway-public");
    const imported = gatewayTlsFrom({ certPem: publicLeaf.certPem, keyPem: publicLeaf.keyPem, chainPem: bed.foreign.certPem, source: "import" });
    await adapter.apply({ ...material, tls: imported });
    const res = await gatewayGet(port, "/api/core-data/public", { caPem: bed.foreign.certPem, token });
    expect(res.status, res.body).toBe(200);
    expect(res.fingerprint).toBe(imported.fingerprint);
    expect(JSON.parse(res.body)).toMatchObject({ upstream: "core-data", clientCert: "gateway" });
    await expect(gatewayGet(port, "/api/core-data/public", { caPem: bed.ca.certPem, token })).rejects.toThrow(/certificate/);
    await adapter.apply(material);
  });

  it("should give the files to the gateway service's uid and gid when running as root", async () => {
    const { stat } = await import("node:fs/promises");
    const dir = join(bed.dir, "nginx-owned");
    const owned = new NginxAdapter({
      configDir: dir,
      listenAddress: "127.0.0.1",
      listenPort: await freePort(),
      serverName: "gateway",
      owner: { uid: 4242, gid: 4343 },
    });
    await owned.apply(material);
    const root = process.getuid?.() === 0;
    const { readdir } = await import("node:fs/promises");
    const gen = (await readdir(dir)).find((e) => e.startsWith("gen-"))!;
    for (const file of [join(dir, gen, "key.pem"), join(dir, gen, "auth.js"), owned.configFile]) {
      const st = await stat(file);
      expect(st.mode & 0o777).toBe(0o600);
      expect([st.uid, st.gid]).toEqual(root ? [4242, 4343] : [process.getuid?.(), process.getgid?.()]);
    }
  });

  it("should take two applies on one folder at once one after the other: both done, nginx on the config left, its files all there", async () => {
    const { readdir } = await import("node:fs/promises");
    const dir = join(bed.dir, "nginx");
    // A second adapter on the same folder: the agent's pass and a `bootgate run` in another process.
    const other = new NginxAdapter({ configDir: dir, listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
    const [one, two] = [await bed.newGatewayTls(), await bed.newGatewayTls()];
    const results = await Promise.all([adapter.apply({ ...material, tls: one }), other.apply({ ...material, tls: two })]);
    for (const r of results) expect(r.summary).toMatch(/^nginx reloaded \(3 routes, generation [0-9a-f]{16}\)$/);
    const named = /gen-[0-9a-f]{16}/.exec(await readFile(adapter.configFile, "utf8"))![0];
    expect((await readdir(dir)).filter((e) => e.startsWith("gen-"))).toEqual([named]);
    const served = await gatewayGet(port, "/api/core-data/x", { caPem: bed.ca.certPem, token });
    const last = results[1]!.summary.includes(named.slice(4)) ? two : one;
    expect(served.fingerprint).toBe(last.fingerprint);
    material = { ...material, tls: last };
  });

  it("should keep the key and the njs verifier in files only the owner can read", async () => {
    const { readdir, stat } = await import("node:fs/promises");
    const dir = join(bed.dir, "nginx");
    const gens = (await readdir(dir)).filter((e) => e.startsWith("gen-"));
    expect(gens).toHaveLength(1);
    for (const file of ["key.pem", "client-key.pem", "auth.js"]) {
      expect((await stat(join(dir, gens[0]!, file))).mode & 0o777).toBe(0o600);
    }
    expect((await stat(adapter.configFile)).mode & 0o777).toBe(0o600);
  });
});
