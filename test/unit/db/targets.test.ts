import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { planDatabases } from "../../../src/db/targets.js";
import { ConfigError } from "../../../src/errors.js";

const configOf = (yaml: string) => parseConfigText(yaml, { source: "/etc/bootgate.yaml", baseDir: "/etc", env: {} });

function issuesOf(yaml: string): string[] {
  try {
    planDatabases(configOf(yaml));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).file).toBe("/etc/bootgate.yaml");
    return (error as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("expected a ConfigError");
}

describe("planDatabases", () => {
  it("should make one target per service with a database, in database or schema mode", () => {
    const targets = planDatabases(
      configOf(`services:
  - name: vault
  - name: core-data
    database: coredata
  - name: app-one
    database: { name: one, mode: schema, shared: apps, grants: ["USAGE ON SCHEMA one"] }
`),
    );
    expect(targets).toEqual([
      { service: "core-data", role: "core_data", database: "coredata", mode: "database", grants: [], clientCert: false },
      { service: "app-one", role: "app_one", database: "apps", mode: "schema", schema: "one", grants: ["USAGE ON SCHEMA one"], clientCert: false },
    ]);
  });

  it("should ask for client certificates for all services or per service, naming those roles as their certificates", () => {
    const yaml = (all: boolean) => `postgres:
  clientCerts: ${all}
services:
  - name: core-data
    database: coredata
  - name: web-app
    database: { name: webapp, clientCert: true }
  - name: app-two
    database: { name: two, clientCert: false }
`;
    const pick = (all: boolean) => planDatabases(configOf(yaml(all))).map((t) => [t.role, t.clientCert]);
    expect(pick(false)).toEqual([
      ["core_data", false],
      ["web-app", true],
      ["app_two", false],
    ]);
    expect(pick(true)).toEqual([
      ["core-data", true],
      ["web-app", true],
      ["app_two", false],
    ]);
  });

  it("should report every bad name at once, each with its path", () => {
    const issues = issuesOf(`services:
  - name: 9lives
    database: ninelives
  - name: pg-shadow
    database: shadow
  - name: postgres
    database: pgdb
  - name: dup-a
    database: template1
`);
    expect(issues).toEqual([
      expect.stringMatching(/^services\.0\.name: .*`9lives` is not an SQL identifier/),
      expect.stringMatching(/^services\.1\.name: .*`pg_shadow` starts with `pg_`/),
      expect.stringMatching(/^services\.2\.name: .*admin user `postgres`/),
      expect.stringMatching(/^services\.3\.database: .*`template1` is one of the cluster's own databases/),
    ]);
  });

  it("should refuse two services sharing one own database, and a shared database that is someone's own", () => {
    const issues = issuesOf(`services:
  - name: a
    database: same
  - name: b
    database: same
  - name: c
    database: { name: c, mode: schema, shared: same }
`);
    expect(issues).toEqual([
      expect.stringMatching(/^services\.1\.database: .*also used by service `a`/),
      expect.stringMatching(/^services\.2\.database\.shared: .*service `a`'s own/),
    ]);
  });

  it("should refuse a schema-mode database without `shared`, and a grant that could end its statement", () => {
    expect(() =>
      configOf(`services:
  - name: a
    database: { name: a, mode: schema }
  - name: b
    database: { name: b, grants: ["SELECT ON t; DROP TABLE t"] }
`),
    ).toThrow(ConfigError);
    try {
      configOf(`services:
  - name: a
    database: { name: a, mode: schema }
`);
    } catch (error) {
      expect((error as ConfigError).message).toMatch(/services\.0\.database(\.shared)?: expected/);
    }
  });
});
