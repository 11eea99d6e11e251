import { describe, expect, it } from "vitest";
import { databaseNameProblem, quoteIdent, roleNameFor, roleNameProblem, schemaNameProblem } from "../../../src/db/identifiers.js";

describe("SQL identifiers", () => {
  it("should turn a service name's '-' into '_' for its role", () => {
    expect(roleNameFor("core-data")).toBe("core_data");
    expect(roleNameProblem(roleNameFor("core-data"))).toBeUndefined();
  });

  it("should refuse a role name that starts with a digit, is too long, or is reserved", () => {
    expect(roleNameProblem("9lives")).toMatch(/not an SQL identifier/);
    expect(roleNameProblem("a".repeat(64))).toMatch(/not an SQL identifier/);
    expect(roleNameProblem("a".repeat(63))).toBeUndefined();
    expect(roleNameProblem("pg_monitor")).toMatch(/reserves/);
    expect(roleNameProblem("public")).toMatch(/reserved/);
  });

  it("should refuse quotes, spaces and capitals anywhere", () => {
    for (const bad of ['x"y', "x y", "Xy", "x;y", ""]) {
      expect(databaseNameProblem(bad)).toMatch(/not an SQL identifier/);
      expect(() => quoteIdent(bad)).toThrow(/refusing to quote/);
    }
    expect(databaseNameProblem("x-y")).toMatch(/not an SQL identifier/);
    expect(roleNameProblem("x-y")).toMatch(/not an SQL identifier/);
  });

  it("should name a role that logs in with its certificate as the certificate's CN, '-' and all, quoted", () => {
    expect(roleNameFor("core-data", { clientCert: true })).toBe("core-data");
    expect(roleNameProblem("core-data", { clientCert: true })).toBeUndefined();
    expect(roleNameProblem('x"y', { clientCert: true })).toMatch(/not an SQL identifier/);
    expect(quoteIdent("core-data")).toBe('"core-data"');
  });

  it("should refuse the cluster's own databases and schemas", () => {
    expect(databaseNameProblem("template1")).toMatch(/cluster's own/);
    expect(databaseNameProblem("postgres")).toMatch(/cluster's own/);
    expect(schemaNameProblem("public")).toMatch(/keeps for itself/);
    expect(schemaNameProblem("pg_catalog")).toMatch(/keeps for itself/);
  });

  it("should double-quote a checked name", () => {
    expect(quoteIdent("core_data")).toBe('"core_data"');
  });
});
