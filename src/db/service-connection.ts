// How a service (or `bootgate status` on its behalf) connects with the credentials from Vault:
// TLS verify-full against the stack's CA, the server checked by `serverName` even at an IP.
import type { ClientConfig } from "pg";
import { CONNECT_TIMEOUT_MS } from "./admin-connection.js";
import type { DbCredentials } from "./credentials.js";
import { verifyFullSsl } from "./tls.js";

export function serviceClientConfig(credentials: DbCredentials, caPem: string | Buffer): ClientConfig {
  return {
    host: credentials.host,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    ssl: verifyFullSsl(caPem, credentials.serverName),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: credentials.username,
  };
}

/** The record from Vault as credentials, or a reason it is not usable. */
export function parseCredentials(record: Record<string, unknown> | undefined): DbCredentials | string {
  if (!record) return "no credentials in Vault";
  const { username, password, host, port, database, sslmode, serverName, schema } = record;
  if (typeof username !== "string" || typeof password !== "string" || typeof host !== "string" || typeof database !== "string") {
    return "the Vault record lacks username, password, host or database";
  }
  if (typeof port !== "number" || sslmode !== "verify-full" || typeof serverName !== "string") {
    return "the Vault record lacks port, serverName or sslmode=verify-full";
  }
  return { username, password, host, port, database, sslmode, serverName, ...(typeof schema === "string" ? { schema } : {}) };
}
