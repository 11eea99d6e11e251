// Small programs the compose e2e test runs inside a service container (`node --input-type=module
// -e`), as that service's user: they trust only the stack's CA, and every secret they need
// comes in on stdin and leaves on stdout — never argv.
const prelude = `
import { readFileSync } from "node:fs";
import https from "node:https";
const dir = "/secrets/" + process.env.SERVICE;
const ca = readFileSync(dir + "/ca.pem");
const stdin = async () => { let s = ""; for await (const c of process.stdin) s += c; return s; };
const vault = (token, path) => new Promise((resolve, reject) => {
  const me = JSON.parse(readFileSync(dir + "/token.json", "utf8"));
  const req = https.get(new URL("/v1/" + path, me.address), { ca, servername: me.serverName, headers: { "X-Vault-Token": token } }, (res) => {
    let body = ""; res.on("data", (d) => (body += d)); res.on("end", () => resolve({ status: res.statusCode, body }));
  });
  req.on("error", reject);
});
const me = JSON.parse(readFileSync(dir + "/token.json", "utf8"));
`;

/** Prints the service's database credentials, read from Vault with its own token (JSON). */
export const READ_DB_CREDENTIALS = `${prelude}
const res = await vault(me.token, me.kvMount + "/data/" + me.kvPrefix + "/database");
if (res.status !== 200) { console.error("vault answered " + res.status); process.exit(1); }
process.stdout.write(JSON.stringify(JSON.parse(res.body).data.data));
`;

/** Logs in to PostgreSQL (verify-full) with the credentials on stdin; prints current_user. */
export const LOGIN_WITH_CREDENTIALS = `${prelude}
const { default: pg } = await import("pg");
const c = JSON.parse(await stdin());
const db = new pg.Client({ host: c.host, port: c.port, user: c.username, password: c.password, database: c.database, ssl: { ca, servername: c.serverName } });
await db.connect();
const { rows } = await db.query("select current_user as role");
await db.end();
process.stdout.write(rows[0].role);
`;

/** Asks Vault about the token on stdin (lookup-self); prints the HTTP status. */
export const LOOKUP_TOKEN = `${prelude}
const res = await vault((await stdin()).trim(), "auth/token/lookup-self");
process.stdout.write(String(res.status));
`;
