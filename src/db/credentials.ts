// What a service finds in Vault at `<service>/database` (src/vault/layout.ts): everything it
// needs to connect with libpq or node-postgres, verify-full against the stack's CA.
import type { Config } from "../config/normalize.js";
import { serviceKey } from "../vault/layout.js";
import { isUsablePassword } from "./password.js";
import type { DbTarget } from "./targets.js";

export const CREDENTIALS_NAME = "database";
export const credentialsKey = (service: string) => serviceKey(service, CREDENTIALS_NAME);

export interface DbCredentials {
  username: string;
  password: string;
  host: string;
  port: number;
  database: string;
  sslmode: "verify-full";
  /** The name the server's certificate is verified by (libpq: host=<this> hostaddr=<host>). */
  serverName: string;
  /** In `schema` mode, the schema the role owns (also its search_path). */
  schema?: string;
  /**
   * The server also wants the service's certificate: libpq `sslcert`/`sslkey`/`sslrootcert` =
   * cert.pem, key.pem, ca.pem in the service's own folder. Absent (not false) otherwise, so
   * records written before it existed stay the same.
   */
  clientCert?: true;
}

/** The credentials a target should have, with the given password. */
export function credentialsFor(config: Config, target: DbTarget, password: string): DbCredentials {
  return {
    username: target.role,
    password,
    host: config.postgres.host,
    port: config.postgres.port,
    database: target.database,
    sslmode: "verify-full",
    serverName: config.postgres.service,
    ...(target.schema !== undefined ? { schema: target.schema } : {}),
    ...(target.clientCert ? { clientCert: true as const } : {}),
  };
}

/** The stored password when the record holds one we can use. */
export function storedPassword(record: Record<string, unknown> | undefined): string | undefined {
  const password = record?.password;
  return isUsablePassword(password) ? password : undefined;
}

/** Whether the record in Vault already says exactly what it should (no write needed). */
export function sameCredentials(record: Record<string, unknown> | undefined, wanted: DbCredentials): boolean {
  if (!record) return false;
  const keys = new Set([...Object.keys(record), ...Object.keys(wanted)]);
  for (const k of keys) {
    if (record[k] !== (wanted as unknown as Record<string, unknown>)[k]) return false;
  }
  return true;
}
