// The design notes' stack, link by link, with the programs they name: a request through the
// gateway (real nginx, JWT) reaches a Django app over uWSGI in TLS (mutual); the app logged in to
// Vault with its certificate through hvac, read its database credentials there, and answers with
// a row it read from PostgreSQL over verify-full with its client certificate, and a value read
// from Vault. Each link's refusal is shown with the same programs (psycopg2, hvac).
import { execa } from "execa";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCredentials } from "../../../src/db/service-connection.js";
import { gatewayTlsFrom } from "../../../src/gateway/gateway-tls.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { NginxAdapter } from "../../../src/gateway/nginx-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { freePort } from "../../../src/servers/free-port.js";
import { startNginx, type NginxHandle } from "../../../src/servers/nginx-process.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";
import { type DbStack, startDbStack } from "../../support/db-stack.js";
import { type DjangoApp, PYTHON_DEPS, checkPythonParts, startDjangoApp } from "../../support/django-app.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { newJwtKey } from "../../support/gateway-stack.js";
import { REPO_ROOT } from "../../support/pki.js";
import { vaultRequest } from "../../support/vault-https.js";

const ISSUER = "bootgate-checklist";
const PROBE = join(REPO_ROOT, "test", "support", "checklist_probe.py");

let stack: DbStack;
let app: DjangoApp;
let nginx: NginxHandle;
let port: number;
let token: string;
let caPem: string;
const note = `note ${Date.now()}`;
const greeting = `hello from Vault ${Math.random().toString(36).slice(2)}`;

const file = (service: string, kind: "cert" | "key" | "ca") => servicePath(stack.config.secretsDir, service, kind);

/** Runs the probe with Debian's python3 (the interpreter uWSGI's plugin embeds), its input on stdin. */
async function probe(input: Record<string, unknown>): Promise<{ ok: boolean; error?: string; user?: string; policies?: string[] }> {
  const run = await execa("/usr/bin/python3", [PROBE], { input: JSON.stringify(input), env: { PYTHONPATH: PYTHON_DEPS }, extendEnv: false, reject: false });
  if (run.exitCode !== 0) throw new Error(`checklist_probe.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { ok: boolean; error?: string };
}

/** A Vault request with a token, the stack's CA, Vault checked by name. */
const vaultWrite = async (path: string, body: unknown, vaultToken: string): Promise<number> =>
  (await vaultRequest({ address: stack.config.vault.address, servername: stack.config.vault.service }, "POST", path, { ca: caPem }, body, vaultToken)).status;

beforeAll(async () => {
  await checkPythonParts();
  stack = await startDbStack({
    // Vault's certificate also names 127.0.0.1: requests (under hvac) checks the name it dials.
    services: [
      { name: "vault", ip: ["127.0.0.1"] },
      { name: "gateway" },
      { name: "web-app", database: { name: "webapp", clientCert: true } },
      { name: "core-data" },
    ],
    config: { vault: { certAuth: true } },
  });
  const seed = await stack.runDbSeed();
  expect(seed.failures.map((f) => f.message)).toEqual([]);
  caPem = await readFile(caBundlePath(stack.config.secretsDir), "utf8");

  // What the app will find: a row it owns, and a value in its own Vault folder.
  const db = await stack.connectAs("web-app");
  await db.query("CREATE TABLE notes (id serial PRIMARY KEY, note text NOT NULL)");
  await db.query("INSERT INTO notes (note) VALUES ($1)", [note]);
  const login = await probe({
    op: "vault-cert-login",
    url: stack.config.vault.address,
    role: "web-app",
    cert: file("web-app", "cert"),
    key: file("web-app", "key"),
    ca: file("web-app", "ca"),
  });
  expect(login, login.error).toMatchObject({ ok: true });
  const serviceToken = await readTokenFile(stack.config.secretsDir, "web-app");
  if (!serviceToken) throw new Error("web-app has no token file after secretstore-setup");
  expect(await vaultWrite(`/v1/${stack.config.vault.kvMount}/data/web-app/greeting`, { data: { text: greeting } }, serviceToken.token)).toBe(200);

  app = await startDjangoApp({ serviceDir: join(stack.config.secretsDir, "web-app"), vaultAddr: stack.config.vault.address });

  const routes = parseRouteMap(
    `[[routes]]\nname = "web"\npath = "/web"\nscheme = "uwsgi"\nupstream = "suwsgi://127.0.0.1:${app.port}"\nservice = "web-app"\n`,
    "routes.toml",
  );
  const tls = gatewayTlsFrom({
    certPem: await readFile(file("gateway", "cert"), "utf8"),
    keyPem: await readFile(file("gateway", "key"), "utf8"),
    chainPem: "",
    source: "pki-init",
  });
  const jwtKey = newJwtKey();
  port = await freePort();
  const nginxDir = join(stack.vault.dir, "nginx");
  const adapter = new NginxAdapter({ configDir: nginxDir, listenAddress: "127.0.0.1", listenPort: port, serverName: "gateway" });
  await adapter.apply({ tls, clientTls: tls, caPem, routes, jwt: { key: jwtKey, issuer: ISSUER } });
  nginx = await startNginx({ prefixDir: nginxDir });
  token = signJwt(jwtKey, { sub: "alice", iss: ISSUER, ttlMs: 3_600_000 });
});

afterAll(async () => {
  await nginx?.stop();
  await app?.stop();
  await stack?.[Symbol.asyncDispose]();
});

describe("the notes' stack: gateway -> uWSGI/Django -> PostgreSQL and Vault", () => {
  it("should answer through the gateway with a row read over verify-full with its client certificate and a value read from Vault after a certificate login", async () => {
    const res = await gatewayGet(port, "/web/readings", { caPem, token });
    expect(res.status, `${res.body}\n${app.log().slice(-3000)}`).toBe(200);
    const body = JSON.parse(res.body) as { user: string; db: { user: string; ssl: boolean; clientDn: string }; note: string; greeting: string };
    expect(body.user).toBe("alice");
    expect(body.db).toEqual({ user: "web-app", ssl: true, clientDn: "/CN=web-app" });
    expect(body.note).toBe(note);
    expect(body.greeting).toBe(greeting);
  });

  it("should refuse a request without a token at the gateway", async () => {
    expect((await gatewayGet(port, "/web/readings", { caPem })).status).toBe(401);
  });

  it("should refuse psycopg2 the Django role without its client certificate, and with core-data's", async () => {
    const creds = parseCredentials(await stack.credentialsOf("web-app"));
    if (typeof creds === "string") throw new Error(creds);
    const conn = {
      host: creds.serverName,
      hostaddr: creds.host,
      port: creds.port,
      dbname: creds.database,
      user: creds.username,
      password: creds.password,
      sslmode: "verify-full",
      sslrootcert: file("web-app", "ca"),
    };
    const own = await probe({ op: "pg-login", conn: { ...conn, sslcert: file("web-app", "cert"), sslkey: file("web-app", "key") } });
    expect(own, own.error).toEqual({ ok: true, user: "web-app" });
    // libpq would send ~/.postgresql/postgresql.crt if it existed: name a missing file instead.
    const none = await probe({ op: "pg-login", conn: { ...conn, sslcert: "/nonexistent/cert.pem", sslkey: "/nonexistent/key.pem" } });
    expect(none.ok).toBe(false);
    expect(none.error).toMatch(/requires a valid client certificate/);
    const other = await probe({ op: "pg-login", conn: { ...conn, sslcert: file("core-data", "cert"), sslkey: file("core-data", "key") } });
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/authentication failed for user "web-app"/);
  });

  it("should give hvac exactly the service's policies for its own certificate and refuse core-data's certificate for the role", async () => {
    const own = await probe({
      op: "vault-cert-login",
      url: stack.config.vault.address,
      role: "web-app",
      cert: file("web-app", "cert"),
      key: file("web-app", "key"),
      ca: file("web-app", "ca"),
    });
    expect(own).toEqual({ ok: true, policies: ["bootgate-token-self", "svc-web-app"] });
    const other = await probe({
      op: "vault-cert-login",
      url: stack.config.vault.address,
      role: "web-app",
      cert: file("core-data", "cert"),
      key: file("core-data", "key"),
      ca: file("core-data", "ca"),
    });
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/no chain matching all constraints could be found for this login certificate/);
  });
});
