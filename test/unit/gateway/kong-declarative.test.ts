// Kong in DB-less mode: the declarative file proxy-setup writes, checked for its structure, for
// carrying exactly what the Admin API adapter sends (both loaded into the recorder of Kong's
// documented API), and for what the adapter does around it. Not a real Kong: Kong cannot run on
// this machine, so whether Kong 3.x itself loads the file is checked by `kong config parse`
// where Kong exists (see the README), not here.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { TimeoutError } from "../../../src/errors.js";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import type { ProbeTarget } from "../../../src/gateway/gateway-probe.js";
import { gatewayTlsFrom, type GatewayTls } from "../../../src/gateway/gateway-tls.js";
import { signJwt, type JwtKey } from "../../../src/gateway/jwt.js";
import { KongAdapter } from "../../../src/gateway/kong-adapter.js";
import { KongAdminClient } from "../../../src/gateway/kong-admin-client.js";
import { KONG_DECLARATIVE_FILE, KongDeclarativeAdapter, type KongContainerReload } from "../../../src/gateway/kong-declarative-adapter.js";
import { renderKongDeclarative } from "../../../src/gateway/kong-declarative-config.js";
import { kongEntities, stableUuid } from "../../../src/gateway/kong-entities.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { comparableState, declarativeAsPuts, loadDeclarative } from "../../support/kong-declarative.js";
import { KongRecorder } from "../../support/kong-recorder.js";
import { KONG_TEST_ROUTES } from "../../support/kong-routes.js";
import { mint, type Minted } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";

const ROUTES = `${KONG_TEST_ROUTES}
[[routes]]
name = "app-one"
path = "/app"
upstream = "https://app-one.internal:8443"
service = "app-one"
`;

interface Doc {
  _format_version: string;
  ca_certificates: { id: string; cert: string; tags: string[] }[];
  certificates: { id: string; cert: string; key: string; snis?: { name: string }[] }[];
  services: Record<string, unknown>[];
  plugins: Record<string, unknown>[];
  consumers: { username: string; jwt_secrets: Record<string, unknown>[] }[];
}

describe("Kong's declarative config (DB-less), against a recorder of Kong's documented API", () => {
  let root: Minted;
  let intermediate: Minted;
  let material: GatewayMaterial;

  const leafTls = async (name = "gateway"): Promise<GatewayTls> => {
    const leaf = await mint({ name, issuer: intermediate, dns: ["gateway.internal"] });
    return gatewayTlsFrom({ certPem: leaf.pem, keyPem: leaf.keyPem, chainPem: intermediate.pem, source: "pki-init" });
  };

  beforeAll(async () => {
    root = await mint({ name: "Stack Root", ca: true });
    intermediate = await mint({ name: "Stack Intermediate", ca: true, issuer: root });
    const key: JwtKey = { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: "k1" };
    material = {
      tls: await leafTls(),
      clientTls: await leafTls(),
      caPem: root.pem + intermediate.pem,
      routes: parseRouteMap(ROUTES, "routes.toml"),
      jwt: { key, issuer: "bootgate" },
    };
  });

  const render = (m: GatewayMaterial = material) => renderKongDeclarative(kongEntities(m, "gateway"));
  const doc = (text: string) => parse(text) as Doc;

  describe("the rendered file", () => {
    it("should declare Kong 3.x's format with the stack's CA, the served certificate with its SNIs and the client certificate", () => {
      const d = doc(render());
      expect(d._format_version).toBe("3.0");
      expect(d.ca_certificates.map((c) => c.cert.trim())).toEqual([root.pem.trim(), intermediate.pem.trim()]);
      const [served, client] = d.certificates;
      expect(served).toMatchObject({ id: stableUuid("certificate:gateway"), key: material.tls.keyPem });
      expect(served!.cert).toContain(material.tls.certPem.trim());
      expect(served!.cert).toContain(intermediate.pem.trim());
      expect(served!.snis!.map((s) => s.name).sort()).toEqual(["gateway", "gateway.internal"]);
      expect(client).toMatchObject({ id: stableUuid("client-certificate:gateway"), key: material.clientTls.keyPem });
      expect(client!.snis).toBeUndefined();
    });

    it("should give every route its own TLS-verified https service, presenting the client certificate, with the path stripped", () => {
      const d = doc(render());
      const caIds = d.ca_certificates.map((c) => c.id);
      expect(d.services.map((s) => s.name)).toEqual(["core-data", "core-metadata", "app-one"]);
      for (const route of material.routes) {
        const service = d.services.find((s) => s.name === route.name)!;
        expect(service).toMatchObject({
          protocol: "https",
          host: route.upstreamHost,
          port: route.upstreamPort,
          path: route.upstreamPath,
          tls_verify: true,
          ca_certificates: caIds,
          client_certificate: stableUuid("client-certificate:gateway"),
          tags: ["bootgate"],
        });
        expect(service.routes).toEqual([{ name: route.name, protocols: ["https"], paths: [route.path], strip_path: true, tags: ["bootgate"] }]);
      }
      expect(d.services.find((s) => s.name === "core-metadata")!.path).toBe("/v2/");
      expect(d.services.find((s) => s.name === "app-one")!.host).toBe("app-one.internal");
    });

    it("should put the JWT plugin globally, so it runs on every route and service, with the consumer's HS256 secret keyed by the issuer", () => {
      const d = doc(render());
      expect(d.plugins).toEqual([
        {
          id: stableUuid("plugin:jwt:gateway"),
          name: "jwt",
          config: { key_claim_name: "iss", claims_to_verify: ["exp", "nbf"], secret_is_base64: true, header_names: ["authorization"] },
          tags: ["bootgate"],
        },
      ]);
      // No service, route or consumer on the plugin: Kong applies it to every request it routes.
      expect(Object.keys(d.plugins[0]!)).not.toEqual(expect.arrayContaining(["service"]));
      expect(d.consumers).toEqual([
        {
          username: "gateway-clients",
          tags: ["bootgate"],
          jwt_secrets: [
            { key: "bootgate", algorithm: "HS256", secret: Buffer.from(material.jwt.key.secret, "base64url").toString("base64"), tags: ["bootgate"] },
          ],
        },
      ]);
    });

    it("should load into the recorder as the very state the Admin API adapter builds", async () => {
      await using viaApi = await KongRecorder.start();
      await using viaFile = await KongRecorder.start();
      await new KongAdapter({ client: new KongAdminClient(viaApi.url), gateway: "gateway" }).apply(material);
      await loadDeclarative(viaFile, render());
      expect(viaFile.requests.every((r) => r.status === 200)).toBe(true);
      expect(comparableState(viaFile)).toEqual(comparableState(viaApi));
      expect(viaFile.table("routes").size).toBe(3);
    });

    it("should make Kong accept our tokens and refuse missing-issuer, expired, forged and foreign ones (401 in Kong)", async () => {
      await using kong = await KongRecorder.start();
      await loadDeclarative(kong, render());
      const key = material.jwt.key;
      expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 60_000 }))).toBe(true);
      expect(kong.kongWouldAccept("")).toBe(false);
      expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "bootgate", ttlMs: 1000, nowMs: Date.now() - 60_000 }))).toBe(false);
      expect(kong.kongWouldAccept(signJwt({ ...key, secret: randomBytes(32).toString("base64url") }, { sub: "alice", iss: "bootgate", ttlMs: 60_000 }))).toBe(
        false,
      );
      expect(kong.kongWouldAccept(signJwt(key, { sub: "alice", iss: "someone-else", ttlMs: 60_000 }))).toBe(false);
    });

    it("should be byte-identical for the same material", () => {
      expect(render()).toBe(render());
      expect(render({ ...material, routes: [...material.routes] })).toBe(render());
    });

    it("should change only the served certificate's cert and key on a rotation", async () => {
      const before = doc(render());
      const rotated = await leafTls();
      const after = doc(render({ ...material, tls: rotated }));
      expect(after.certificates[0]!.id).toBe(before.certificates[0]!.id);
      expect(after.certificates[0]!.key).toBe(rotated.keyPem);
      expect(after.certificates[0]!.key).not.toBe(before.certificates[0]!.key);
      expect(after.certificates[0]!.cert).not.toBe(before.certificates[0]!.cert);
      const withoutServed = (d: Doc) => ({ ...d, certificates: [{ ...d.certificates[0], cert: "", key: "" }, d.certificates[1]] });
      expect(withoutServed(after)).toEqual(withoutServed(before));
    });

    it("should keep PEM blocks and the base64 secret on their own lines, with no YAML anchors", () => {
      const text = render();
      expect(text).not.toMatch(/[&*]a\d/);
      expect(text).toContain(`secret: ${Buffer.from(material.jwt.key.secret, "base64url").toString("base64")}\n`);
      expect(doc(text).certificates[0]!.key).toBe(material.tls.keyPem);
    });

    it("should refuse an upstream named by IP address, since Kong verifies an upstream by its host", () => {
      const routes = parseRouteMap(`[[routes]]\nname = "a"\npath = "/a"\nupstream = "https://127.0.0.1:1"\nservice = "core-data"\n`, "r.toml");
      expect(() => render({ ...material, routes })).toThrow(/service name \(https:\/\/core-data:1\)/);
    });

    it("should be refused by the stand-in loader if a service names a client certificate the file does not hold", () => {
      const text = render().replace(`client_certificate: ${stableUuid("client-certificate:gateway")}`, `client_certificate: ${stableUuid("nothing")}`);
      expect(() => declarativeAsPuts(text)).toThrow(/invalid reference 'client_certificate/);
    });
  });

  describe("the adapter", () => {
    let dir: { path: string } & AsyncDisposable;
    beforeEach(async () => {
      dir = await tempDir("bootgate-kong-");
    });
    afterEach(async () => {
      await dir[Symbol.asyncDispose]();
    });

    const adapter = (options: Partial<ConstructorParameters<typeof KongDeclarativeAdapter>[0]> = {}) =>
      new KongDeclarativeAdapter({ gateway: "gateway", configDir: join(dir.path, "gateway", "kong"), proxyPort: 8443, ...options });

    it("should write kong.yml 0600 in a 0700 folder and say Kong starts on it when no Kong runs", async () => {
      const a = adapter();
      const result = await a.apply(material);
      expect(a.configFile).toBe(join(dir.path, "gateway", "kong", KONG_DECLARATIVE_FILE));
      expect(await readFile(a.configFile, "utf8")).toBe(render());
      expect((await stat(a.configFile)).mode & 0o777).toBe(0o600);
      expect((await stat(join(dir.path, "gateway", "kong"))).mode & 0o777).toBe(0o700);
      expect(result.summary).toBe(`Kong declarative config written (3 routes, 2 SNIs); kong not running here, it starts on ${a.configFile}`);
    });

    it("should own the file and its folder by the gateway's uid and gid (applied when running as root)", async () => {
      const a = adapter({ owner: { uid: 4321, gid: 4322 } });
      await a.apply(material);
      const root = process.getuid?.() === 0;
      const expected = root ? { uid: 4321, gid: 4322 } : { uid: process.getuid?.(), gid: process.getgid?.() };
      expect(await stat(a.configFile)).toMatchObject(expected);
      expect(await stat(join(dir.path, "gateway", "kong"))).toMatchObject(expected);
    });

    it("should leave a byte-identical file when applied twice, with nothing left behind", async () => {
      const a = adapter();
      await a.apply(material);
      const first = await readFile(a.configFile);
      await a.apply(material);
      expect((await readFile(a.configFile)).equals(first)).toBe(true);
      const { readdir } = await import("node:fs/promises");
      expect(await readdir(join(dir.path, "gateway", "kong"))).toEqual([KONG_DECLARATIVE_FILE]);
    });

    it("should write nothing when the material is refused", async () => {
      const routes = parseRouteMap(`[[routes]]\nname = "a"\npath = "/a"\nupstream = "https://127.0.0.1:1"\nservice = "core-data"\n`, "r.toml");
      await expect(adapter().apply({ ...material, routes })).rejects.toThrow(/not an IP address/);
      expect(existsSync(join(dir.path, "gateway"))).toBe(false);
    });

    it("should say why no Kong container was reloaded and keep no key in its summary", async () => {
      const result = await adapter({ reloadElsewhere: async () => ({ reloaded: false, reason: "no Docker socket" }) }).apply(material);
      expect(result.summary).toMatch(/it starts on .*kong\.yml \(no container signalled: no Docker socket\)$/);
      expect(result.summary).not.toContain("PRIVATE KEY");
      expect(result.summary).not.toContain(Buffer.from(material.jwt.key.secret, "base64url").toString("base64"));
    });

    it("should, after signalling Kong's container, wait until Kong serves the new certificate by the gateway's name", async () => {
      const seen: ProbeTarget[] = [];
      const answers = ["AA:BB", "AA:BB", material.tls.fingerprint, material.tls.fingerprint, material.tls.fingerprint];
      let signalled = 0;
      const a = adapter({
        proxyPort: 9443,
        reloadElsewhere: async (): Promise<KongContainerReload> => {
          // The file must be in place before Kong is told to read it.
          expect(await readFile(join(dir.path, "gateway", "kong", KONG_DECLARATIVE_FILE), "utf8")).toBe(render());
          signalled++;
          return { reloaded: true, containers: ["stack-gateway-1"], probeHost: "gateway" };
        },
        probe: async (target) => {
          seen.push(target);
          return { generation: "", fingerprint: answers.shift() ?? "none" };
        },
      });
      const result = await a.apply(material);
      expect(signalled).toBe(1);
      expect(answers).toEqual([]);
      expect(seen[0]).toMatchObject({ host: "gateway", port: 9443, serverName: "gateway", ca: [material.caPem] });
      expect(result.summary).toMatch(/^Kong reloaded in container stack-gateway-1 on .*kong\.yml \(3 routes, 2 SNIs\), serving the new certificate$/);
    });

    it("should fail as worth retrying, naming what it waited for, when a reloaded Kong never serves the new certificate", async () => {
      const a = adapter({
        reloadTimeoutMs: 0,
        reloadElsewhere: async () => ({ reloaded: true, containers: ["g"], probeHost: "gateway" }),
        probe: async () => ({ generation: "", fingerprint: "AA:BB" }),
      });
      const error = await a.apply(material).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TimeoutError);
      expect(error).toMatchObject({ transient: true });
      expect((error as Error).message).toContain(`Kong at gateway:8443 to serve certificate ${material.tls.fingerprint}`);
    });
  });
});
