// The real DbAdmin: SQL over node-postgres pools, one per database it must work in (the admin
// database for roles and databases, each shared database for schemas). Identifiers are checked
// and quoted; the only literal is a SCRAM verifier, checked against its format before use.
import type pg from "pg";
import type { Config } from "../config/normalize.js";
import { poll } from "../util/poll.js";
import { adminSettings, type AdminSettings } from "./admin-connection.js";
import type { DbAdmin, Inventory, RoleState } from "./db-admin.js";
import { quoteIdent } from "./identifiers.js";
import { isPgUnavailable, pgFailure } from "./pg-errors.js";
import { isScramVerifier } from "./scram-verifier.js";

const READY_POLL_MS = 200;
const INSUFFICIENT_PRIVILEGE = "42501";

function verifierLiteral(verifier: string): string {
  // Base64, '$' and ':' only: nothing that could close the literal.
  if (!isScramVerifier(verifier)) throw new Error("refusing a password that is not a SCRAM-SHA-256 verifier");
  return `'${verifier}'`;
}

export class PgDbAdmin implements DbAdmin {
  private readonly pools = new Map<string, pg.Pool>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly settings: AdminSettings,
    private readonly maxConnections: number,
    /** pg's Pool, loaded by open(): `bootgate run --only pki-init` and `wait` never load pg. */
    private readonly Pool: typeof pg.Pool,
  ) {}

  static async open(config: Config): Promise<PgDbAdmin> {
    const [settings, { default: pgModule }] = await Promise.all([adminSettings(config), import("pg")]);
    return new PgDbAdmin(settings, config.postgres.concurrency, pgModule.Pool);
  }

  private pool(database: string): pg.Pool {
    let pool = this.pools.get(database);
    if (!pool) {
      pool = new this.Pool({ ...this.settings.base, database, max: database === this.settings.adminDatabase ? this.maxConnections : 2 });
      // An idle connection the server drops (a restart) must not crash the process; the next query reconnects.
      pool.on("error", () => {});
      this.pools.set(database, pool);
    }
    return pool;
  }

  private async run<R extends pg.QueryResultRow = pg.QueryResultRow>(
    database: string,
    what: string,
    sql: string,
    params?: unknown[],
  ): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool(database).query<R>(sql, params);
    } catch (error) {
      throw pgFailure(this.settings.server, what, error, [this.settings.password]);
    }
  }

  private admin<R extends pg.QueryResultRow = pg.QueryResultRow>(what: string, sql: string, params?: unknown[]) {
    return this.run<R>(this.settings.adminDatabase, what, sql, params);
  }

  async waitUntilReady(timeoutMs: number, signal: AbortSignal): Promise<void> {
    await poll(
      async () => {
        try {
          await this.pool(this.settings.adminDatabase).query("SELECT 1");
          return true;
        } catch (error) {
          if (!isPgUnavailable(error)) throw pgFailure(this.settings.server, "connect as the admin", error, [this.settings.password]);
          return undefined;
        }
      },
      { timeoutMs, intervalMs: READY_POLL_MS, signal, what: `PostgreSQL at ${this.settings.server} to accept connections (postgres.waitTimeout)` },
    );
  }

  async inventory(): Promise<Inventory> {
    const roles = new Map<string, RoleState>();
    type Row = { rolname: string; rolcanlogin: boolean; privileged: string[]; rolpassword?: string | null };
    const columns = `rolname, rolcanlogin, array_remove(ARRAY[
      CASE WHEN rolsuper THEN 'SUPERUSER' END, CASE WHEN rolcreaterole THEN 'CREATEROLE' END,
      CASE WHEN rolcreatedb THEN 'CREATEDB' END, CASE WHEN rolreplication THEN 'REPLICATION' END,
      CASE WHEN rolbypassrls THEN 'BYPASSRLS' END], NULL) AS privileged`;
    try {
      const result = await this.pool(this.settings.adminDatabase).query<Row>(`SELECT ${columns}, rolpassword FROM pg_authid`);
      for (const r of result.rows) roles.set(r.rolname, { canLogin: r.rolcanlogin, privileged: r.privileged, verifier: r.rolpassword ?? null });
    } catch (error) {
      // An admin that is not a superuser cannot read verifiers: then every password is (re)set.
      if ((error as { code?: unknown }).code !== INSUFFICIENT_PRIVILEGE) throw pgFailure(this.settings.server, "list roles", error, [this.settings.password]);
      const result = await this.admin<Row>("list roles", `SELECT ${columns} FROM pg_roles`);
      for (const r of result.rows) roles.set(r.rolname, { canLogin: r.rolcanlogin, privileged: r.privileged, verifier: undefined });
    }
    const dbs = await this.admin<{ datname: string; owner: string }>(
      "list databases",
      "SELECT d.datname, r.rolname AS owner FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba",
    );
    return { roles, databases: new Map(dbs.rows.map((r) => [r.datname, r.owner])) };
  }

  async createRole(role: string, verifier: string): Promise<void> {
    await this.admin(`create role ${role}`, `CREATE ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD ${verifierLiteral(verifier)}`);
  }

  async setPassword(role: string, verifier: string): Promise<void> {
    await this.admin(`set the password of role ${role}`, `ALTER ROLE ${quoteIdent(role)} WITH LOGIN PASSWORD ${verifierLiteral(verifier)}`);
  }

  async createDatabase(database: string, owner: string): Promise<void> {
    // CREATE DATABASE cannot run in a transaction block: two statements, two round trips.
    await this.admin(`create database ${database}`, `CREATE DATABASE ${quoteIdent(database)} OWNER ${quoteIdent(owner)}`);
    await this.admin(`close database ${database} to others`, `REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
  }

  async setDatabaseOwner(database: string, owner: string): Promise<void> {
    await this.admin(`hand database ${database} to ${owner}`, `ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(owner)}`);
    await this.admin(`close database ${database} to others`, `REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
  }

  async createSharedDatabase(database: string): Promise<void> {
    await this.admin(`create database ${database}`, `CREATE DATABASE ${quoteIdent(database)}`);
    await this.admin(`close database ${database} to others`, `REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC`);
  }

  /**
   * Runs `work` after every earlier call for the same database. Two GRANTs on one object from
   * two sessions race on its ACL ("tuple concurrently updated"), so they take turns.
   */
  private serialized<T>(database: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(database) ?? Promise.resolve();
    const next = previous.then(work, work);
    this.locks.set(
      database,
      next.then(
        () => {},
        () => {},
      ),
    );
    return next;
  }

  async ensureSchema(database: string, schema: string, role: string): Promise<void> {
    const s = quoteIdent(schema);
    const r = quoteIdent(role);
    await this.serialized(database, async () => {
      const granted = await this.admin<{ ok: boolean }>(`check ${role}'s access to ${database}`, "SELECT has_database_privilege($1, $2, 'CONNECT') AS ok", [
        role,
        database,
      ]);
      if (!granted.rows[0]?.ok) {
        await this.admin(`let ${role} connect to ${database}`, `GRANT CONNECT, TEMPORARY ON DATABASE ${quoteIdent(database)} TO ${r}`);
      }
    });
    const existing = await this.run<{ owner: string }>(
      database,
      `look up schema ${schema} in ${database}`,
      "SELECT r.rolname AS owner FROM pg_namespace n JOIN pg_roles r ON r.oid = n.nspowner WHERE n.nspname = $1",
      [schema],
    );
    const owner = existing.rows[0]?.owner;
    if (owner === undefined) await this.run(database, `create schema ${schema} in ${database}`, `CREATE SCHEMA ${s} AUTHORIZATION ${r}`);
    else if (owner !== role) await this.run(database, `hand schema ${schema} to ${role}`, `ALTER SCHEMA ${s} OWNER TO ${r}`);
    const settings = await this.admin<{ setconfig: string[] | null }>(
      `read the settings of ${role} in ${database}`,
      `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase JOIN pg_roles r ON r.oid = s.setrole
       WHERE d.datname = $1 AND r.rolname = $2`,
      [database, role],
    );
    if (!(settings.rows[0]?.setconfig ?? []).includes(`search_path=${schema}`)) {
      await this.admin(`set the search_path of ${role} in ${database}`, `ALTER ROLE ${r} IN DATABASE ${quoteIdent(database)} SET search_path = ${s}`);
    }
  }

  async grant(database: string, role: string, grants: readonly string[]): Promise<void> {
    // Grant texts were checked by the config schema (no quotes, ';' or comments).
    await this.serialized(database, async () => {
      for (const g of grants) await this.run(database, `grant ${g} to ${role}`, `GRANT ${g} TO ${quoteIdent(role)}`);
    });
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.end().catch(() => {})));
  }
}
