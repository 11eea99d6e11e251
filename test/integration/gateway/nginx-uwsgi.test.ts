// A real nginx in front of a real uWSGI serving a WSGI app over the uwsgi protocol in TLS
// (suwsgi): the route verifies the app's certificate by its service name against the stack's CA
// and presents the gateway's certificate, which uWSGI demands; JWT at the gateway as for HTTPS.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayTlsFrom } from "../../../src/gateway/gateway-tls.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { NginxAdapter } from "../../../src/gateway/nginx-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { freePort } from "../../../src/servers/free-port.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { issueTestLeaf, makeTestCa, type TestCa } from "../../support/gateway-pki.js";
import { newJwtKey } from "../../support/gateway-stack.js";
import { startUwsgiApp, type UwsgiApp, type WsgiReply } from "../../support/uwsgi-app.js";

const ISSUER = "bootgate-test";

describe("a uwsgi route through a real nginx to a real uWSGI over TLS", () => {
  let dir: string;
  let ca: TestCa;
  let app: UwsgiApp;
  let nginx: NginxHandle;
  let port: number;
  let token: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bootgate-uwsgi-"));
    ca = await makeTestCa(dir, "stack");
    const leafFiles = async (name: string) => {
      const leaf = await issueTestLeaf(dir, ca, name);
      await mkdir(join(dir, name), { recursive: true });
      const certFile = join(dir, name, "cert.pem");
      const keyFile = join(dir, name, "key.pem");
      await writeFile(certFile, leaf.certPem);
      await writeFile(keyFile, leaf.keyPem, { mode: 0o600 });
      return { certFile, keyFile };
    };
    // The second socket holds a certificate from the same CA, for another service: a service
    // that is not the one the route names.
    const appDir = join(dir, "app");
    await mkdir(appDir);
    app = await startUwsgiApp(appDir, ca.certPath, [await leafFiles("wsgi-app"), await leafFiles("core-data")]);
    const [own, other] = app.ports;
    const routes = parseRouteMap(
      `[[routes]]
name = "web"
path = "/web"
scheme = "uwsgi"
upstream = "suwsgi://127.0.0.1:${own}"
service = "wsgi-app"

[[routes]]
name = "impostor"
path = "/impostor"
scheme = "uwsgi"
upstream = "suwsgi://127.0.0.1:${other}"
service = "wsgi-app"

[[routes]]
name = "as-core-data"
path = "/as-core-data"
scheme = "uwsgi"
upstream = "suwsgi://127.0.0.1:${other}"
service = "core-data"
`,
      "routes.toml",
    );
    const gw = await issueTestLeaf(dir, ca, "gateway");
    const tls = gatewayTlsFrom({ certPem: gw.certPem, keyPem: gw.keyPem, chainPem: "", source: "pki-init" });
    const jwtKey = newJwtKey();
    port = await freePort();
    const adapter = new NginxAdapter({ configDir: join(dir, "nginx"), listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
    await adapter.apply({ tls, clientTls: tls, caPem: ca.certPem, routes, jwt: { key: jwtKey, issuer: ISSUER } });
    nginx = await startNginx({ prefixDir: join(dir, "nginx") });
    token = signJwt(jwtKey, { sub: "alice", iss: ISSUER, ttlMs: 3_600_000 });
  });

  afterAll(async () => {
    await nginx?.stop();
    await app?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("should reach the app with a token: prefix as SCRIPT_NAME, the rest as PATH_INFO, the user named, the token kept back", async () => {
    const res = await gatewayGet(port, "/web/readings/7?limit=2", { caPem: ca.certPem, token });
    expect(res.status, res.body).toBe(200);
    const reply = JSON.parse(res.body) as WsgiReply;
    expect(reply).toMatchObject({ scriptName: "/web", pathInfo: "/readings/7", query: "limit=2", user: "alice", https: "on" });
    expect(reply.authorization).toBeNull();
    expect(await app.hits()).toContain("/readings/7");

    const bare = await gatewayGet(port, "/web", { caPem: ca.certPem, token });
    expect(bare.status, bare.body).toBe(200);
    expect(JSON.parse(bare.body)).toMatchObject({ scriptName: "/web", pathInfo: "/" });
  });

  it("should replace a user header the client forged with the token's user", async () => {
    const { request } = await import("node:https");
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/web/forged",
          servername: "gateway",
          ca: ca.certPem,
          agent: false,
          headers: { authorization: `Bearer ${token}`, "x-authenticated-user": "mallory" },
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve(text));
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(JSON.parse(body)).toMatchObject({ pathInfo: "/forged", user: "alice", authorization: null });
  });

  it("should refuse a request without a token with 401 before it reaches the app", async () => {
    const res = await gatewayGet(port, "/web/no-token", { caPem: ca.certPem });
    expect(res.status).toBe(401);
    expect(await app.hits()).not.toContain("/no-token");
  });

  it("should answer 502 when the uwsgi upstream's certificate names another service", async () => {
    const res = await gatewayGet(port, "/impostor/secret", { caPem: ca.certPem, token });
    expect(res.status).toBe(502);
    expect(await app.hits()).not.toContain("/secret");
    // The same socket, named by the service its certificate is for, answers: the name decided.
    const named = await gatewayGet(port, "/as-core-data/secret", { caPem: ca.certPem, token });
    expect(named.status, named.body).toBe(200);
    expect(await app.hits()).toContain("/secret");
  });
});
