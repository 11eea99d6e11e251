// In-memory stand-ins for the database unit tests: a Map-backed KvClient and a DbAdmin that
// keeps roles and databases in maps. Both append to one journal, so tests can check order.
import type { DbAdmin, Inventory } from "../../src/db/db-admin.js";
import type { KvClient } from "../../src/vault/kv-client.js";

export type Journal = string[];

export class MapKv implements KvClient {
  readonly data = new Map<string, Record<string, unknown>>();
  constructor(readonly journal: Journal = []) {}
  async read(key: string) {
    const value = this.data.get(key);
    return value ? { ...value } : undefined;
  }
  async write(key: string, data: Record<string, unknown>) {
    this.journal.push(`vault.write ${key}`);
    this.data.set(key, { ...data });
  }
}

export class FakeDbAdmin implements DbAdmin {
  readonly roles = new Map<string, { canLogin: boolean; verifier: string | null; privileged?: string[] }>();
  readonly databases = new Map<string, string>();
  readonly schemas = new Map<string, string>();
  readonly grants: string[] = [];
  closed = false;
  constructor(readonly journal: Journal = []) {}
  async waitUntilReady() {
    this.journal.push("pg.ready");
  }
  async inventory(): Promise<Inventory> {
    return { roles: new Map([...this.roles].map(([k, v]) => [k, { ...v }])), databases: new Map(this.databases) };
  }
  async createRole(role: string, verifier: string) {
    this.journal.push(`pg.createRole ${role}`);
    this.roles.set(role, { canLogin: true, verifier });
  }
  async setPassword(role: string, verifier: string) {
    this.journal.push(`pg.setPassword ${role}`);
    this.roles.set(role, { canLogin: true, verifier });
  }
  async createDatabase(database: string, owner: string) {
    this.journal.push(`pg.createDatabase ${database} ${owner}`);
    this.databases.set(database, owner);
  }
  async setDatabaseOwner(database: string, owner: string) {
    this.journal.push(`pg.setDatabaseOwner ${database} ${owner}`);
    this.databases.set(database, owner);
  }
  async createSharedDatabase(database: string) {
    this.journal.push(`pg.createSharedDatabase ${database}`);
    this.databases.set(database, "postgres");
  }
  async ensureSchema(database: string, schema: string, role: string) {
    this.journal.push(`pg.ensureSchema ${database}.${schema} ${role}`);
    this.schemas.set(`${database}.${schema}`, role);
  }
  async grant(database: string, role: string, grants: readonly string[]) {
    for (const g of grants) this.grants.push(`${database}: ${g} TO ${role}`);
  }
  async close() {
    this.closed = true;
  }
}
