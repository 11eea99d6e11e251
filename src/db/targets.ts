// From the config to what db-seed makes: one target per service with a `database`. Every name
// is checked here, before any connection is opened, and every problem is reported at once.
import type { Config } from "../config/normalize.js";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { databaseNameProblem, roleNameFor, roleNameProblem, schemaNameProblem } from "./identifiers.js";

export interface DbTarget {
  service: string;
  role: string;
  /** The database the service connects to: its own, or the shared one holding its schema. */
  database: string;
  mode: "database" | "schema";
  /** In `schema` mode: the schema the role owns inside `database`. */
  schema?: string;
  grants: string[];
  /** The role logs in with its certificate (CN = role) besides its password. */
  clientCert: boolean;
}

export function planDatabases(config: Config): DbTarget[] {
  const issues: ConfigIssue[] = [];
  const targets: DbTarget[] = [];
  const owners = new Map<string, string>(); // database → service that owns it
  const sharedDbs = new Map<string, string>(); // shared database → first service using it
  const schemas = new Map<string, string>(); // db.schema → service
  const adminUser = config.postgres.admin.user;

  config.services.forEach((service, i) => {
    const spec = service.database;
    if (spec === undefined) return;
    const at = `services.${i}`;
    const clientCert = (typeof spec === "string" ? undefined : spec.clientCert) ?? config.postgres.clientCerts;
    const role = roleNameFor(service.name, { clientCert });
    const roleProblem = roleNameProblem(role, { clientCert });
    if (roleProblem) {
      issues.push({ path: `${at}.name`, message: `expected a service name that makes a PostgreSQL role name ('-' becomes '_'): ${roleProblem}` });
    } else if (role === adminUser) {
      issues.push({ path: `${at}.name`, message: `expected a role name other than the admin user \`${adminUser}\` (postgres.admin.user)` });
    }
    const normalized = typeof spec === "string" ? { name: spec, mode: "database" as const, shared: undefined, grants: [] } : spec;
    const namePath = typeof spec === "string" ? `${at}.database` : `${at}.database.name`;
    if (normalized.mode === "database") {
      const problem = databaseNameProblem(normalized.name);
      if (problem) issues.push({ path: namePath, message: `expected a database name: ${problem}` });
      const other = owners.get(normalized.name) ?? sharedDbs.get(normalized.name);
      if (other !== undefined)
        issues.push({ path: namePath, message: `expected a database of its own; \`${normalized.name}\` is also used by service \`${other}\`` });
      if (other === undefined) owners.set(normalized.name, service.name);
      targets.push({ service: service.name, role, database: normalized.name, mode: "database", grants: normalized.grants, clientCert });
    } else {
      const shared = normalized.shared!;
      const sharedProblem = databaseNameProblem(shared);
      if (sharedProblem) issues.push({ path: `${at}.database.shared`, message: `expected a database name: ${sharedProblem}` });
      const owner = owners.get(shared);
      if (owner !== undefined)
        issues.push({ path: `${at}.database.shared`, message: `expected a shared database; \`${shared}\` is service \`${owner}\`'s own` });
      if (!sharedDbs.has(shared)) sharedDbs.set(shared, service.name);
      const schemaProblem = schemaNameProblem(normalized.name);
      if (schemaProblem) issues.push({ path: namePath, message: `expected a schema name: ${schemaProblem}` });
      const key = `${shared}.${normalized.name}`;
      const other = schemas.get(key);
      if (other !== undefined) issues.push({ path: namePath, message: `expected a schema of its own; \`${key}\` is also service \`${other}\`'s` });
      schemas.set(key, service.name);
      targets.push({ service: service.name, role, database: shared, mode: "schema", schema: normalized.name, grants: normalized.grants, clientCert });
    }
  });
  if (issues.length > 0) throw new ConfigError(config.source, issues);
  return targets;
}
