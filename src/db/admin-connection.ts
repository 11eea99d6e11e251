// The admin's connection settings: user and database from the config, the password from a file
// (postgres.admin.passwordFile or BOOTGATE_PG_PASSWORD_FILE, never argv), TLS verify-full
// against the stack's CA by the name `postgres.service`.
import { readFile } from "node:fs/promises";
import type { PoolConfig } from "pg";
import type { Config } from "../config/normalize.js";
import { ConfigError } from "../errors.js";
import { readStackCa, verifyFullSsl } from "./tls.js";

export const CONNECT_TIMEOUT_MS = 5_000;
export const QUERY_TIMEOUT_MS = 60_000;

export async function readAdminPassword(config: Config): Promise<string> {
  const file = config.postgres.admin.passwordFile;
  const field = "postgres.admin.passwordFile";
  if (file === undefined) {
    throw new ConfigError(config.source, [
      { path: field, message: "expected a file holding the PostgreSQL admin password (or set BOOTGATE_PG_PASSWORD_FILE)" },
    ]);
  }
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new ConfigError(config.source, [
      { path: field, message: `expected a readable file at ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})` },
    ]);
  }
  const password = text.replace(/\r?\n$/, "");
  if (password.length === 0) throw new ConfigError(config.source, [{ path: field, message: `expected a password in ${file}, found an empty file` }]);
  return password;
}

export interface AdminSettings {
  server: string;
  base: Omit<PoolConfig, "database">;
  adminDatabase: string;
  password: string;
}

export async function adminSettings(config: Config): Promise<AdminSettings> {
  const password = await readAdminPassword(config);
  const ca = await readStackCa(config.secretsDir);
  const { host, port, admin, service } = config.postgres;
  return {
    server: `${host}:${port}`,
    adminDatabase: admin.database,
    password,
    base: {
      host,
      port,
      user: admin.user,
      password,
      ssl: verifyFullSsl(ca, service),
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      application_name: "bootgate",
    },
  };
}
