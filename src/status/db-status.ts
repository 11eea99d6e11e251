// `bootgate status`: per service with a database, whether its role exists and whether the
// credentials Vault holds for it log in (TLS verify-full, as the service would). A part that is
// down is a row that says so, never a throw; no password reaches a row.
import pg from "pg";
import type { Config } from "../config/normalize.js";
import { credentialsKey } from "../db/credentials.js";
import { mapLimit } from "../util/map-limit.js";
import { PgDbAdmin } from "../db/pg-db-admin.js";
import { describePgError } from "../db/pg-errors.js";
import { type ClientCertPair, parseCredentials, readServiceCertPair, serviceClientConfig } from "../db/service-connection.js";
import { planDatabases } from "../db/targets.js";
import { readStackCa } from "../db/tls.js";
import { describeCause } from "../errors.js";
import type { KvClient } from "../vault/kv-client.js";
import { BOOTGATE_IDENTITY } from "../vault/layout.js";
import { openKvClient } from "../vault/open-kv-client.js";
import type { StatusProvider } from "./section.js";

interface Row {
  service: string;
  role: string;
  roleExists: boolean | null;
  login: "yes" | "no" | "unknown";
  detail: string;
}

async function roleNames(config: Config): Promise<Set<string> | string> {
  let admin: PgDbAdmin | undefined;
  try {
    admin = await PgDbAdmin.open(config);
    return new Set((await admin.inventory()).roles.keys());
  } catch (error) {
    return describeCause(error);
  } finally {
    await admin?.close();
  }
}

async function tryLogin(
  record: Record<string, unknown> | undefined,
  ca: Buffer,
  clientCert: () => Promise<ClientCertPair>,
): Promise<Pick<Row, "login" | "detail">> {
  const credentials = parseCredentials(record);
  if (typeof credentials === "string") return { login: "no", detail: credentials };
  let client: pg.Client | undefined;
  try {
    client = new pg.Client(serviceClientConfig(credentials, ca, credentials.clientCert ? await clientCert() : undefined));
    client.on("error", () => {});
    await client.connect();
    await client.query("SELECT 1");
    return { login: "yes", detail: "" };
  } catch (error) {
    return { login: "no", detail: describePgError(error, [credentials.password]) };
  } finally {
    await client?.end().catch(() => {});
  }
}

export const dbStatus: StatusProvider = async (config) => {
  let targets;
  try {
    targets = planDatabases(config);
  } catch (error) {
    return { key: "database", title: "database", columns: ["problem"], rows: [[describeCause(error)]], data: { error: describeCause(error) } };
  }
  if (targets.length === 0) return undefined;

  const roles = await roleNames(config);
  let kv: (KvClient & { close(): void }) | string;
  try {
    kv = await openKvClient(config, BOOTGATE_IDENTITY);
  } catch (error) {
    kv = describeCause(error);
  }
  const ca = await readStackCa(config.secretsDir).catch((error: unknown) => describeCause(error));

  const rows = await mapLimit(targets, 4, async (t): Promise<Row> => {
    const roleExists = typeof roles === "string" ? null : roles.has(t.role);
    const base = { service: t.service, role: t.role, roleExists };
    if (typeof kv === "string") return { ...base, login: "unknown", detail: `Vault: ${kv}` };
    if (typeof ca === "string") return { ...base, login: "unknown", detail: ca };
    let record: Record<string, unknown> | undefined;
    try {
      record = await kv.read(credentialsKey(t.service));
    } catch (error) {
      return { ...base, login: "unknown", detail: `Vault: ${describeCause(error)}` };
    }
    return { ...base, ...(await tryLogin(record, ca, () => readServiceCertPair(config.secretsDir, t.service))) };
  });
  if (typeof kv !== "string") kv.close();

  const serverNote = typeof roles === "string" ? ` — PostgreSQL: ${roles}` : "";
  return {
    key: "database",
    title: `database (${config.postgres.host}:${config.postgres.port}, verified as ${config.postgres.service})${serverNote}`,
    columns: ["service", "role", "role exists", "Vault credentials log in", "detail"],
    rows: rows.map((r) => [r.service, r.role, r.roleExists === null ? "unknown" : r.roleExists ? "yes" : "no", r.login, r.detail]),
    data: { server: `${config.postgres.host}:${config.postgres.port}`, serverError: typeof roles === "string" ? roles : null, services: rows },
  };
};
