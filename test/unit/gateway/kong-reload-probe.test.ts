// After SIGHUP to Kong's container the adapter looks at Kong from outside, as a client would
// (TLS verified by the gateway's name against the stack's CA), until the new certificate is
// served. Here a local HTTPS server stands in for Kong's proxy listener and answers as Kong
// does for a path no route matches (404): a real Kong cannot run on this machine.
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { GatewayMaterial } from "../../../src/gateway/adapter.js";
import { fullChain, gatewayTlsFrom, type GatewayTls } from "../../../src/gateway/gateway-tls.js";
import type { JwtKey } from "../../../src/gateway/jwt.js";
import { KongDeclarativeAdapter, type KongDeclarativeAdapterOptions } from "../../../src/gateway/kong-declarative-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { mint, type Minted } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";

const ROUTES = `[[routes]]\nname = "core-data"\npath = "/api/core-data"\nupstream = "https://core-data:59880"\n`;

/** An adapter writing into `dir` whose "Kong" is the stand-in on `port`, reloaded by `reloadElsewhere`. */
const adapterAt = (dir: string, port: number, reloadTimeoutMs: number, reloadElsewhere: KongDeclarativeAdapterOptions["reloadElsewhere"]) =>
  new KongDeclarativeAdapter({ gateway: "gateway", configDir: dir, proxyPort: port, reloadTimeoutMs, reloadElsewhere });

describe("the declarative Kong adapter's wait for a reloaded Kong, against an HTTPS stand-in for Kong's proxy", () => {
  let root: Minted;
  let stranger: Minted;
  let oldTls: GatewayTls;
  let newTls: GatewayTls;
  let material: GatewayMaterial;
  let server: Server | undefined;

  const leaf = async (issuer: Minted) => {
    const m = await mint({ name: "gateway", issuer, dns: ["gateway.internal"] });
    return gatewayTlsFrom({ certPem: m.pem, keyPem: m.keyPem, chainPem: "", source: "pki-init" });
  };

  beforeAll(async () => {
    root = await mint({ name: "Stack Root", ca: true });
    stranger = await mint({ name: "Someone Else", ca: true });
    oldTls = await leaf(root);
    newTls = await leaf(root);
    const key: JwtKey = { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: "k1" };
    material = { tls: newTls, clientTls: newTls, caPem: root.pem, routes: parseRouteMap(ROUTES, "routes.toml"), jwt: { key, issuer: "bootgate" } };
  });

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  const startKong = async (tls: GatewayTls): Promise<number> => {
    server = createServer({ cert: fullChain(tls), key: tls.keyPem }, (_req, res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"message":"no Route matched with those values"}');
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return (server!.address() as AddressInfo).port;
  };

  it("should return once Kong serves the new certificate, verified by the gateway's name", async () => {
    const port = await startKong(oldTls);
    await using dir = await tempDir("bootgate-kong-");
    const adapter = adapterAt(dir.path, port, 10_000, async () => {
      // What Kong's reload does to the listener: new workers serve the new certificate.
      setTimeout(() => server!.setSecureContext({ cert: fullChain(newTls), key: newTls.keyPem }), 200);
      return { reloaded: true, containers: ["stack-gateway-1"], probeHost: "127.0.0.1" };
    });
    const result = await adapter.apply(material);
    expect(result.summary).toMatch(/serving the new certificate$/);
  });

  it("should time out, naming the certificate it kept seeing, when Kong keeps the old one", async () => {
    const port = await startKong(oldTls);
    await using dir = await tempDir("bootgate-kong-");
    const adapter = adapterAt(dir.path, port, 300, async () => ({ reloaded: true, containers: ["g"], probeHost: "127.0.0.1" }));
    await expect(adapter.apply(material)).rejects.toThrow(`last: serving certificate ${oldTls.fingerprint}`);
  });

  it("should not take a Kong whose certificate is not from the stack's CA for the new one", async () => {
    const foreign = await leaf(stranger);
    const port = await startKong(foreign);
    await using dir = await tempDir("bootgate-kong-");
    const adapter = adapterAt(dir.path, port, 300, async () => ({ reloaded: true, containers: ["g"], probeHost: "127.0.0.1" }));
    await expect(adapter.apply(material)).rejects.toThrow(/Kong at 127\.0\.0\.1:\d+ to serve certificate .* \(last: unable to verify the first certificate\)/);
  });
});
