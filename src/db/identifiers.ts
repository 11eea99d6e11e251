// SQL identifiers bootgate creates (roles, databases, schemas). They are checked before any SQL
// runs and then always double-quoted, so a name can neither inject SQL nor fold its case.

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** A role that logs in with a certificate is named as the certificate's CN, the service name: '-' stays (quoted). */
const CERT_ROLE = /^[a-z_][a-z0-9_-]{0,62}$/;

/** Role names PostgreSQL keeps for itself (`pg_*` is reserved; these are keywords roles cannot take). */
const RESERVED_ROLES = new Set(["public", "none", "current_role", "current_user", "session_user", "all"]);
/** Databases a service must never be handed: they belong to the cluster. */
const RESERVED_DATABASES = new Set(["postgres", "template0", "template1"]);

export const identifierRule = "lowercase letters, digits and '_', at most 63, not starting with a digit";

/** Why `name` cannot be a role we create, or undefined when it can. */
export function roleNameProblem(name: string, options: { clientCert?: boolean } = {}): string | undefined {
  if (!(options.clientCert ? CERT_ROLE : IDENTIFIER).test(name)) {
    return `\`${name}\` is not an SQL identifier (${options.clientCert ? `${identifierRule}; '-' allowed` : identifierRule})`;
  }
  if (name.startsWith("pg_")) return `\`${name}\` starts with \`pg_\`, which PostgreSQL reserves for its own roles`;
  if (RESERVED_ROLES.has(name)) return `\`${name}\` is a reserved role name`;
  return undefined;
}

export function databaseNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return `\`${name}\` is not an SQL identifier (${identifierRule})`;
  if (RESERVED_DATABASES.has(name)) return `\`${name}\` is one of the cluster's own databases`;
  return undefined;
}

export function schemaNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) return `\`${name}\` is not an SQL identifier (${identifierRule})`;
  if (name.startsWith("pg_") || name === "public" || name === "information_schema") return `\`${name}\` is a schema PostgreSQL keeps for itself`;
  return undefined;
}

/**
 * Service names are DNS labels and may hold '-', which an unquoted identifier cannot: it becomes
 * '_'. Not so for a service that logs in with its certificate: PostgreSQL compares the
 * certificate's CN (the service name) with the role, and allows no user name map with
 * scram-sha-256 (PostgreSQL 15), so that role is the service name as is.
 */
export const roleNameFor = (service: string, options: { clientCert?: boolean } = {}) => (options.clientCert ? service : service.replaceAll("-", "_"));

/** Double-quotes a name that passed the checks above (they exclude '"', so no escaping is needed). */
export function quoteIdent(name: string): string {
  if (!CERT_ROLE.test(name)) throw new Error(`refusing to quote \`${name}\`: not a checked SQL identifier`);
  return `"${name}"`;
}
