// How a service (or `bootgate status` on its behalf) connects with the credentials from Vault:
// TLS verify-full against the stack's CA, the server checked by `serverName` even at an IP; with
// the service's certificate and key where the record says the server asks for them.
import { readFile } from "node:fs/promises";
import type { ClientConfig } from "pg";
import { servicePath } from "../volume/layout.js";
import { CONNECT_TIMEOUT_MS } from "./admin-connection.js";
import type { DbCredentials } from "./credentials.js";
import { verifyFullSsl } from "./tls.js";

/** The service's own cert.pem and key.pem, read from its folder. */
export interface ClientCertPair {
  cert: string | Buffer;
  key: string | Buffer;
}

/** What libpq's sslcert/sslkey name: the service's own leaf and key on the secrets volume. */
export async function readServiceCertPair(secretsDir: string, service: string): Promise<ClientCertPair> {
  const [cert, key] = await Promise.all([readFile(servicePath(secretsDir, service, "cert")), readFile(servicePath(secretsDir, service, "key"))]);
  return { cert, key };
}

export function serviceClientConfig(credentials: DbCredentials, caPem: string | Buffer, clientCert?: ClientCertPair): ClientConfig {
  return {
    host: credentials.host,
    port: credentials.port,
    user: credentials.username,
    password: credentials.password,
    database: credentials.database,
    ssl: { ...verifyFullSsl(caPem, credentials.serverName), ...(clientCert ? { cert: clientCert.cert, key: clientCert.key } : {}) },
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: credentials.username,
  };
}

/** The record from Vault as credentials, or a reason it is not usable. */
export function parseCredentials(record: Record<string, unknown> | undefined): DbCredentials | string {
  if (!record) return "no credentials in Vault";
  const { username, password, host, port, database, sslmode, serverName, schema, clientCert } = record;
  if (typeof username !== "string" || typeof password !== "string" || typeof host !== "string" || typeof database !== "string") {
    return "the Vault record lacks username, password, host or database";
  }
  if (typeof port !== "number" || sslmode !== "verify-full" || typeof serverName !== "string") {
    return "the Vault record lacks port, serverName or sslmode=verify-full";
  }
  return {
    username,
    password,
    host,
    port,
    database,
    sslmode,
    serverName,
    ...(typeof schema === "string" ? { schema } : {}),
    ...(clientCert === true ? { clientCert } : {}),
  };
}
