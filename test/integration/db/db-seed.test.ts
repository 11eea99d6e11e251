// db-seed against a real PostgreSQL (TLS-only, scram) and a real OpenBao, both started by the
// project's own launchers on 127.0.0.1.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsKey } from "../../../src/db/credentials.js";
import { parseScramVerifier, scramVerifier, verifierMatches } from "../../../src/db/scram-verifier.js";
import { freePort } from "../../../src/servers/free-port.js";
import { dbStatus } from "../../../src/status/db-status.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { type DbStack, startDbStack } from "../../support/db-stack.js";
import { DB_READY } from "../../../src/gates/gate-names.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { readFile } from "node:fs/promises";

const SERVICES = [
  { name: "alpha", database: "alpha_db" },
  { name: "beta-svc", database: "beta" },
  { name: "gamma", database: { name: "gamma", mode: "schema", shared: "apps" } },
  { name: "delta", database: { name: "delta", mode: "schema", shared: "apps", grants: ["USAGE ON SCHEMA delta"] } },
];
const NAMES = SERVICES.map((s) => s.name);

let stack: DbStack;

/** A client logging in as service alpha straight to the server, with the TLS settings under test. */
function alphaClient(creds: Record<string, unknown>, ssl: pg.ClientConfig["ssl"]): pg.Client {
  return new pg.Client({
    host: "127.0.0.1",
    port: stack.config.postgres.port,
    user: String(creds.username),
    password: String(creds.password),
    database: String(creds.database),
    ssl,
  });
}

beforeAll(async () => {
  stack = await startDbStack({ services: SERVICES });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

async function bootgateView(): Promise<Record<string, Record<string, unknown> | undefined>> {
  const kv = await openKvClient(stack.config, "bootgate");
  try {
    return Object.fromEntries(await Promise.all(NAMES.map(async (n) => [n, await kv.read(credentialsKey(n))] as const)));
  } finally {
    kv.close();
  }
}

async function verifiers(): Promise<Record<string, string | null>> {
  const admin = await stack.admin();
  const { rows } = await admin.query<{ rolname: string; rolpassword: string | null }>(
    "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname",
    [["alpha", "beta_svc", "gamma", "delta"]],
  );
  await admin.end();
  return Object.fromEntries(rows.map((r) => [r.rolname, r.rolpassword]));
}

describe("db-seed against real PostgreSQL and OpenBao", () => {
  it("should give every service a role whose Vault credentials log in over TLS verify-full", async () => {
    const run = await stack.runDbSeed();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.opened).toEqual([DB_READY]);
    for (const name of NAMES) {
      const creds = await stack.credentialsOf(name);
      expect(creds).toMatchObject({
        username: name.replaceAll("-", "_"),
        host: "127.0.0.1",
        port: stack.config.postgres.port,
        sslmode: "verify-full",
        serverName: "postgres",
      });
      expect(String(creds!.password).length).toBeGreaterThanOrEqual(43);
      const client = await stack.connectAs(name);
      const { rows } = await client.query<{ who: string; db: string; ssl: boolean }>(
        "SELECT current_user AS who, current_database() AS db, (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) AS ssl",
      );
      expect(rows[0]).toEqual({ who: name.replaceAll("-", "_"), db: creds!.database, ssl: true });
      await client.end();
    }
  });

  it("should keep every password out of the run's output and the server's log", async () => {
    const run = await stack.runDbSeed();
    const view = await bootgateView();
    const text = run.output + "\n" + stack.pg.log();
    for (const name of NAMES) expect(text).not.toContain(String(view[name]!.password));
    expect(text).not.toContain(stack.adminPassword);
    expect(text).not.toContain("SCRAM-SHA-256$");
  });

  it("should refuse a plain-text connection", async () => {
    const creds = (await stack.credentialsOf("alpha"))!;
    const client = alphaClient(creds, false);
    await expect(client.connect()).rejects.toThrow(/no pg_hba\.conf entry .*no encryption/);
  });

  it("should refuse a server whose certificate does not carry the name it is verified by", async () => {
    const creds = (await stack.credentialsOf("alpha"))!;
    const client = alphaClient(creds, { ca: await readFile(caBundlePath(stack.vault.config.secretsDir)), servername: "vault", rejectUnauthorized: true });
    client.on("error", () => {});
    await expect(client.connect()).rejects.toThrow(/does not match certificate's altnames|ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it("should refuse a service's token reading another service's credentials (403)", async () => {
    await expect(stack.credentialsOf("alpha", "beta-svc")).rejects.toThrow(/403|permission denied/);
    expect(await stack.credentialsOf("beta-svc", "beta-svc")).toBeDefined();
  });

  it("should keep a role out of another service's database and schema", async () => {
    await expect(stack.connectAs("alpha", "beta")).rejects.toThrow(/permission denied for database "beta"/);
    const delta = await stack.connectAs("delta");
    await delta.query("CREATE TABLE IF NOT EXISTS delta.notes (body text)");
    await delta.query("INSERT INTO delta.notes VALUES ('mine')");
    const gamma = await stack.connectAs("gamma");
    await expect(gamma.query("SELECT * FROM delta.notes")).rejects.toThrow(/permission denied for (schema|table)/);
    // A schema-mode role lands in its own schema.
    expect((await gamma.query<{ s: string }>("SELECT current_schema() AS s")).rows[0]!.s).toBe("gamma");
    await delta.end();
    await gamma.end();
  });

  it("should change nothing on a rerun", async () => {
    const vaultBefore = await bootgateView();
    const pgBefore = await verifiers();
    const run = await stack.runDbSeed();
    expect(run.ok).toBe(true);
    expect(await bootgateView()).toEqual(vaultBefore);
    expect(await verifiers()).toEqual(pgBefore);
    const done = run.events.find((e) => e.type === "stage-done");
    expect(done && "summary" in done ? done.summary : "").toContain("0 created, 0 password set, 4 unchanged");
  });

  it("should set a role back to the password Vault holds", async () => {
    const admin = await stack.admin();
    await admin.query("ALTER ROLE alpha PASSWORD 'drifted-away-from-vault'");
    await admin.end();
    await expect(stack.connectAs("alpha")).rejects.toThrow(/password authentication failed/);
    const run = await stack.runDbSeed();
    expect(run.ok).toBe(true);
    const client = await stack.connectAs("alpha");
    expect((await client.query("SELECT 1 AS one")).rows[0]).toEqual({ one: 1 });
    await client.end();
  });

  it("should make new passwords for every role with postgres.rotate", async () => {
    const before = await bootgateView();
    const run = await stack.runDbSeed({ config: { ...stack.config, postgres: { ...stack.config.postgres, rotate: true } } });
    expect(run.ok).toBe(true);
    const after = await bootgateView();
    for (const name of NAMES) {
      expect(after[name]!.password).not.toBe(before[name]!.password);
      const client = await stack.connectAs(name);
      await client.end();
    }
    const old = new pg.Client({
      ...{ host: "127.0.0.1", port: stack.config.postgres.port },
      user: "alpha",
      password: String(before.alpha!.password),
      database: "alpha_db",
      ssl: { ca: await import("node:fs/promises").then((fs) => fs.readFile(stack.config.secretsDir + "/ca/ca.pem")), servername: "postgres" },
    });
    await expect(old.connect()).rejects.toThrow(/password authentication failed/);
  });

  it("should retry and succeed when PostgreSQL restarts during the stage", async () => {
    let restarted = false;
    const admin = await stack.admin();
    await admin.query("ALTER ROLE gamma PASSWORD 'drifted-again'");
    await admin.query("ALTER ROLE delta PASSWORD 'drifted-again'");
    await admin.end();
    const run = await stack.runDbSeed({
      deps: {
        afterService: async () => {
          if (restarted) return;
          restarted = true;
          await stack.pg.stop();
          void stack.pg.start();
        },
      },
    });
    expect(restarted).toBe(true);
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(run.events.some((e) => e.type === "stage-retry")).toBe(true);
    for (const name of NAMES) {
      const client = await stack.connectAs(name);
      await client.end();
    }
  });

  it("should compute the very verifier PostgreSQL stores for a password", async () => {
    const admin = await stack.admin();
    await admin.query("SET password_encryption = 'scram-sha-256'");
    await admin.query("DROP ROLE IF EXISTS scram_probe");
    await admin.query("CREATE ROLE scram_probe LOGIN PASSWORD 'pencil-probe-password'");
    const { rows } = await admin.query<{ v: string }>("SELECT rolpassword AS v FROM pg_authid WHERE rolname = 'scram_probe'");
    await admin.query("DROP ROLE scram_probe");
    await admin.end();
    const stored = rows[0]!.v;
    const parsed = parseScramVerifier(stored)!;
    expect(parsed.iterations).toBe(4096);
    expect(await scramVerifier("pencil-probe-password", parsed.salt, parsed.iterations)).toBe(stored);
    expect(await verifierMatches(stored, "pencil-probe-password")).toBe(true);
    expect(await verifierMatches(stored, "pencil-probe-passwore")).toBe(false);
  });

  it("should show in status that each role exists and its Vault credentials log in, and which do not", async () => {
    expect((await stack.runDbSeed()).ok).toBe(true);
    const ok = (await dbStatus(stack.config))!;
    expect(ok.rows.map((r) => [r[0], r[2], r[3]])).toEqual(NAMES.map((n) => [n, "yes", "yes"]));

    const admin = await stack.admin();
    await admin.query("ALTER ROLE beta_svc PASSWORD 'not-what-vault-says'");
    await admin.end();
    const drifted = (await dbStatus(stack.config))!;
    const beta = drifted.rows.find((r) => r[0] === "beta-svc")!;
    expect(beta.slice(2, 4)).toEqual(["yes", "no"]);
    expect(beta[4]).toMatch(/password authentication failed/);
    const view = await bootgateView();
    const text = JSON.stringify(drifted);
    for (const name of NAMES) expect(text).not.toContain(String(view[name]!.password));
  });

  it("should say in status that PostgreSQL is down rather than fail", async () => {
    await stack.pg.stop();
    try {
      const down = (await dbStatus(stack.config))!;
      expect(down.title).toMatch(/PostgreSQL: PostgreSQL at [\d.:]+: list roles failed: /);
      expect(down.rows.every((r) => r[2] === "unknown" && r[3] === "no")).toBe(true);
    } finally {
      await stack.pg.start();
    }
  });

  it("should fail within postgres.waitTimeout, opening no gate, when nothing answers", async () => {
    const port = await freePort();
    const config = { ...stack.config, postgres: { ...stack.config.postgres, port, waitTimeoutMs: 600 } };
    const run = await stack.runDbSeed({ config });
    expect(run.ok).toBe(false);
    expect(run.opened).toEqual([]);
    expect(run.failures[0]!.message).toMatch(new RegExp(`stage db-seed failed: timed out after 600ms waiting for PostgreSQL at 127\\.0\\.0\\.1:${port}`));
  });

  it("should refuse to give a service an existing superuser role of the same name", async () => {
    const admin = await stack.admin();
    await admin.query("CREATE ROLE rogue SUPERUSER LOGIN");
    try {
      const config = { ...stack.config, services: [...stack.config.services, { ...stack.config.services.at(-1)!, name: "rogue", database: "rogue" }] };
      const run = await stack.runDbSeed({ config });
      expect(run.ok).toBe(false);
      expect(run.failures[0]!.message).toMatch(/role `rogue` already exists with SUPERUSER; refusing/);
      const still = await admin.query<{ rolpassword: string | null }>("SELECT rolpassword FROM pg_authid WHERE rolname = 'rogue'");
      expect(still.rows[0]!.rolpassword).toBeNull();
    } finally {
      await admin.query("DROP ROLE rogue");
      await admin.end();
    }
  });
});
