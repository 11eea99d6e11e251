#!/usr/bin/env node
// An example service of the stack, started after `bootgate wait vault-ready db-ready`:
// - trusts only the stack's CA (<secretsDir>/<service>/ca.pem);
// - reads its own Vault token from the secrets volume and, with it, its database credentials;
// - connects to PostgreSQL with verify-full (certificate checked against the CA, by the name
//   `serverName`, even when it connects to 127.0.0.1);
// - serves HTTPS with its own certificate and asks callers for one from the same CA (mutual
//   TLS: the gateway presents its own).
// Env: SERVICE (its name), BOOTGATE_SECRETS_DIR, PORT, HOST (default 127.0.0.1). No secret is printed.
import { readFileSync } from "node:fs";
import https from "node:https";
import { join } from "node:path";

const service = process.env.SERVICE;
const secretsDir = process.env.BOOTGATE_SECRETS_DIR;
const port = Number(process.env.PORT);
// 127.0.0.1 for `up --local`; 0.0.0.0 in its own container, where the gateway is another host.
const host = process.env.HOST ?? "127.0.0.1";
if (!service || !secretsDir || !port) {
  console.error("example-service: set SERVICE, BOOTGATE_SECRETS_DIR and PORT");
  process.exit(2);
}
// SIGHUP (`reload: SIGHUP`; `bootgate wait --reload-signal` passes one on whenever a watched
// file changes) is handled from the start: Node's default for it is to exit, and a file may change
// while this still logs in and connects (pg is imported after this, not statically: a static
// import is loaded before the first line runs). Before it serves it has nothing to reload: the server
// reads its certificate when it is created. After, new connections get the new files (a run that
// reissued this service's certificate: a new CA too, in ephemeral mode).
let server;
process.on("SIGHUP", () => {
  if (!server) {
    console.log(`${service}: SIGHUP while starting (its certificate is read when it starts serving)`);
    return;
  }
  try {
    server.setSecureContext({ cert: read("cert.pem"), key: read("key.pem"), ca: read("ca.pem"), minVersion: "TLSv1.2" });
    console.log(`${service}: reloaded its certificate`);
  } catch (error) {
    console.error(`${service}: reload failed, still serving the previous certificate: ${error.message}`);
  }
});
const { default: pg } = await import("pg");
const dir = join(secretsDir, service);
const read = (name) => readFileSync(join(dir, name));
const ca = read("ca.pem");
const token = JSON.parse(read("token.json").toString("utf8"));

function vaultReadOnce(key) {
  const url = new URL(`/v1/${token.kvMount}/data/${key}`, token.address);
  return new Promise((resolve, reject) => {
    // agent: false — a fresh connection, so a retry resolves the name again and may reach another node.
    const req = https.get(url, { ca, servername: token.serverName, agent: false, headers: { "X-Vault-Token": token.token } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(Object.assign(new Error(`Vault answered ${res.statusCode} for ${key}`), { status: res.statusCode }));
        resolve(JSON.parse(body).data.data);
      });
    });
    req.on("error", reject);
  });
}

// A cluster node that is sealed or still joining answers 503 (429: a standby under load): a
// few tries with backoff, bounded (~6 s), then the error stands. Nothing else is retried.
async function vaultRead(key) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await vaultReadOnce(key);
    } catch (error) {
      if (attempt >= 5 || (error.status !== 503 && error.status !== 429)) throw error;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

const creds = await vaultRead(`${token.kvPrefix}/database`);
// A pool, not one client: a PostgreSQL restarted under a running service (a reboot of its
// container, a failover) ends every connection, and a lone pg.Client then emits an 'error' nobody
// handles, which ended this process. The pool drops the dead connection and the next query opens
// a new one; a request in the gap answers 503.
const db = new pg.Pool({
  host: creds.host,
  port: creds.port,
  user: creds.username,
  password: creds.password,
  database: creds.database,
  ssl: { ca, servername: creds.serverName },
  max: 4,
});
db.on("error", (error) => console.error(`${service}: a database connection ended (${error.message}); the next request opens a new one`));
const { rows } = await db.query("select current_user as role, ssl, version from pg_stat_ssl where pid = pg_backend_pid()");
const session = rows[0];

server = https.createServer(
  { cert: read("cert.pem"), key: read("key.pem"), ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
  async (req, res) => {
    try {
      const {
        rows: [now],
      } = await db.query("select now() as now");
      const caller = req.socket.getPeerCertificate()?.subject?.CN;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ service, path: req.url, caller, db: { role: session.role, ssl: session.ssl, tls: session.version, now: now.now } }) + "\n");
    } catch (error) {
      res.writeHead(503, { "content-type": "application/json" });
      res.end(JSON.stringify({ service, error: error.message }) + "\n");
    }
  },
);
server.listen(port, host, () => console.log(`${service}: listening on https://${host}:${port} (db role ${session.role}, ssl ${session.ssl})`));

const stop = () => {
  server.close();
  db.end().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
