// Many services with schemas in one shared database, seeded at once: grants on the shared
// database must not race ("tuple concurrently updated"), and a rerun must leave it untouched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DbStack, startDbStack } from "../../support/db-stack.js";

const N = 24;
const SERVICES = Array.from({ length: N }, (_, i) => ({
  name: `tenant-${i}`,
  database: { name: `t${i}`, mode: "schema", shared: "tenants", grants: [`USAGE ON SCHEMA t${i}`] },
}));

let stack: DbStack;
beforeAll(async () => {
  stack = await startDbStack({ services: SERVICES, postgres: { concurrency: 8 } });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

async function catalog() {
  const admin = await stack.admin();
  const acl = await admin.query<{ datacl: string }>("SELECT datacl::text FROM pg_database WHERE datname = 'tenants'");
  const settings = await admin.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = 'tenants'",
  );
  // xmin changes whenever a row is rewritten, even with the same content.
  const xmins = await admin.query<{ x: string }>("SELECT string_agg(xmin::text, ',' ORDER BY rolname) AS x FROM pg_authid WHERE rolname LIKE 'tenant_%'");
  const dbXmin = await admin.query<{ x: string }>("SELECT xmin::text AS x FROM pg_database WHERE datname = 'tenants'");
  await admin.end();
  return { acl: acl.rows[0]!.datacl, settings: settings.rows[0]!.n, roleXmins: xmins.rows[0]!.x, dbXmin: dbXmin.rows[0]!.x };
}

describe("db-seed with many schemas in one shared database", () => {
  it("should seed every tenant at once without racing on the shared database's grants", async () => {
    const run = await stack.runDbSeed();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    const first = await catalog();
    expect(first.settings).toBe(N);
    for (const i of [0, N - 1]) {
      const client = await stack.connectAs(`tenant-${i}`);
      expect((await client.query<{ s: string }>("SELECT current_schema() AS s")).rows[0]!.s).toBe(`t${i}`);
      await client.end();
    }
  });

  it("should rewrite no catalog row on a rerun", async () => {
    const before = await catalog();
    const run = await stack.runDbSeed();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    expect(await catalog()).toEqual(before);
  });
});
