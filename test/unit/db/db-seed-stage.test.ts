import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/normalize.js";
import { credentialsKey } from "../../../src/db/credentials.js";
import { verifierMatches } from "../../../src/db/scram-verifier.js";
import { ConfigError } from "../../../src/errors.js";
import { dbSeedStage, type DbSeedDeps } from "../../../src/stages/db-seed.js";
import { buildStage } from "../../../src/stages/registry.js";
import { FakeDbAdmin, type Journal, MapKv } from "../../support/db-fakes.js";
import { runRecorded } from "../../support/fake-stage.js";
import { DB_READY, VAULT_READY } from "../../../src/gates/gate-names.js";

const YAML = `services:
  - name: vault
  - name: core-data
    database: coredata
  - name: app-one
    database: { name: one, mode: schema, shared: apps }
  - name: app-two
    database: { name: two, mode: schema, shared: apps, grants: ["USAGE ON SCHEMA two"] }
postgres:
  port: 6543
`;
const configOf = (yaml = YAML, extra: Partial<Config["postgres"]> = {}): Config => {
  const c = parseConfigText(yaml, { source: "test.yaml", baseDir: "/tmp", env: {} });
  return { ...c, postgres: { ...c.postgres, ...extra } };
};

function fakes() {
  const journal: Journal = [];
  const kv = new MapKv(journal);
  const admin = new FakeDbAdmin(journal);
  const crashes: string[] = [];
  const deps: DbSeedDeps = {
    openKv: async () => kv,
    openAdmin: async () => admin,
    crash: (point) => {
      crashes.push(point);
    },
  };
  return { journal, kv, admin, deps, crashes };
}

async function seed(config: Config, deps: DbSeedDeps) {
  const stage = await buildStage(dbSeedStage(deps), config);
  const { result, events, gates } = await runRecorded([stage], { config, awaitExternalGate: async () => {} });
  const done = events.find((e) => e.type === "stage-done");
  return { result, events, gates, summary: done && "summary" in done ? done.summary : undefined };
}

describe("db-seed with fakes", () => {
  it("should write each new password to Vault before PostgreSQL hears of the role", async () => {
    const f = fakes();
    const { result, gates } = await seed(configOf(YAML, { concurrency: 1 }), f.deps);
    expect(result.ok).toBe(true);
    expect(gates).toEqual([DB_READY]);
    for (const [service, role] of [
      ["core-data", "core_data"],
      ["app-one", "app_one"],
      ["app-two", "app_two"],
    ]) {
      const vaultAt = f.journal.indexOf(`vault.write ${credentialsKey(service!)}`);
      const pgAt = f.journal.indexOf(`pg.createRole ${role}`);
      expect(vaultAt).toBeGreaterThanOrEqual(0);
      expect(pgAt).toBeGreaterThan(vaultAt);
    }
    expect(f.crashes).toEqual(["vault-write", "vault-write", "vault-write"]);
    expect(f.admin.closed).toBe(true);
  });

  it("should store credentials a service can connect with, and a role set to that password", async () => {
    const f = fakes();
    await seed(configOf(), f.deps);
    const creds = f.kv.data.get("core-data/database")!;
    expect(creds).toMatchObject({ username: "core_data", host: "127.0.0.1", port: 6543, database: "coredata", sslmode: "verify-full", serverName: "postgres" });
    expect(String(creds.password)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await verifierMatches(f.admin.roles.get("core_data")!.verifier!, String(creds.password))).toBe(true);
    expect(f.kv.data.get("app-one/database")).toMatchObject({ database: "apps", schema: "one" });
    expect(f.admin.databases.get("coredata")).toBe("core_data");
    expect(f.journal.filter((l) => l.startsWith("pg.createSharedDatabase"))).toEqual(["pg.createSharedDatabase apps"]);
    expect(f.admin.grants).toEqual(["apps: USAGE ON SCHEMA two TO app_two"]);
  });

  it("should write nothing anywhere on a rerun", async () => {
    const f = fakes();
    await seed(configOf(), f.deps);
    const journalLength = f.journal.length;
    const { result, summary } = await seed(configOf(), f.deps);
    expect(result.ok).toBe(true);
    const writes = f.journal.slice(journalLength).filter((l) => /vault\.write|createRole|setPassword|createDatabase|setDatabaseOwner|createShared/.test(l));
    expect(writes).toEqual([]);
    expect(summary).toBe("3 roles, 0 created, 0 password set, 3 unchanged");
  });

  it("should set PostgreSQL to the password Vault holds rather than make a new one", async () => {
    const f = fakes();
    f.kv.data.set("core-data/database", {
      username: "core_data",
      password: "operator-chosen-password-123",
      host: "127.0.0.1",
      port: 6543,
      database: "coredata",
      sslmode: "verify-full",
      serverName: "postgres",
    });
    f.admin.roles.set("core_data", { canLogin: true, verifier: null });
    await seed(configOf(), f.deps);
    expect(f.journal).not.toContain("vault.write core-data/database");
    expect(f.journal).toContain("pg.setPassword core_data");
    expect(await verifierMatches(f.admin.roles.get("core_data")!.verifier!, "operator-chosen-password-123")).toBe(true);
  });

  it("should keep Vault's password but rewrite the record when the server address changed", async () => {
    const f = fakes();
    await seed(configOf(), f.deps);
    const before = f.kv.data.get("core-data/database")!;
    f.journal.length = 0;
    await seed(configOf(YAML.replace("port: 6543", "port: 7000")), f.deps);
    const after = f.kv.data.get("core-data/database")!;
    expect(after.port).toBe(7000);
    expect(after.password).toBe(before.password);
    expect(f.journal).toContain("vault.write core-data/database");
    expect(f.journal.some((l) => l.startsWith("pg.setPassword"))).toBe(false);
  });

  it("should make and store new passwords for every role with rotate", async () => {
    const f = fakes();
    await seed(configOf(), f.deps);
    const before = f.kv.data.get("core-data/database")!.password;
    f.journal.length = 0;
    await seed(configOf(YAML, { rotate: true, concurrency: 1 }), f.deps);
    expect(f.kv.data.get("core-data/database")!.password).not.toBe(before);
    expect(f.journal.indexOf("vault.write core-data/database")).toBeLessThan(f.journal.indexOf("pg.setPassword core_data"));
    expect(f.journal.filter((l) => l.startsWith("pg.setPassword"))).toHaveLength(3);
  });

  it("should stop between the Vault write and the role when the crash hook fires", async () => {
    const f = fakes();
    f.deps.crash = () => {
      throw new Error("crashed (test hook)");
    };
    const { result } = await seed(configOf(YAML, { concurrency: 1 }), f.deps);
    expect(result.ok).toBe(false);
    expect(f.journal).toContain("vault.write core-data/database");
    expect(f.admin.roles.size).toBe(0);
    // The next run finds Vault ahead and catches PostgreSQL up, keeping Vault's password.
    const kept = f.kv.data.get("core-data/database")!.password;
    const g = { ...f.deps, crash: undefined };
    expect((await seed(configOf(), g)).result.ok).toBe(true);
    expect(f.kv.data.get("core-data/database")!.password).toBe(kept);
    expect(await verifierMatches(f.admin.roles.get("core_data")!.verifier!, String(kept))).toBe(true);
  });

  it("should refuse bad names in preflight, before any connection", async () => {
    const f = fakes();
    let opened = 0;
    const deps: DbSeedDeps = { ...f.deps, openAdmin: async () => (opened++, f.admin), openKv: async () => (opened++, f.kv) };
    await expect(dbSeedStage(deps).preflight(configOf("services:\n  - name: 1st\n    database: first\n"))).rejects.toThrow(ConfigError);
    expect(opened).toBe(0);
  });

  it("should be enabled only when a service declares a database", () => {
    expect(dbSeedStage().enabled(configOf())).toBe(true);
    expect(dbSeedStage().enabled(configOf("services:\n  - name: vault\n"))).toBe(false);
  });

  it("should need vault-ready and open db-ready", () => {
    const stage = dbSeedStage(fakes().deps);
    expect(stage.needs).toEqual([VAULT_READY]);
    expect(stage.opens).toEqual([DB_READY]);
  });

  it("should refuse to hand a service an existing role with superuser powers, before touching Vault", async () => {
    const f = fakes();
    f.admin.roles.set("core_data", { canLogin: true, verifier: null, privileged: ["SUPERUSER"] });
    const { result } = await seed(configOf(YAML, { concurrency: 1 }), f.deps);
    expect(result.ok).toBe(false);
    expect(result.failures[0]!.message).toMatch(/role `core_data` already exists with SUPERUSER; refusing to give its password to service `core-data`/);
    expect(f.journal).not.toContain("vault.write core-data/database");
    expect(f.journal).not.toContain("pg.setPassword core_data");
  });
});
