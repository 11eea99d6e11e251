// The roles that must present their certificate to PostgreSQL, handed from init to the postgres
// container (compose), which has no config of its own: one role per line in the postgres service's
// folder, written by init at every boot before any gate opens, so the server's pg_hba always
// matches bootgate.yaml. Role names only, no secret.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/normalize.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { serviceDir } from "../volume/layout.js";
import { planDatabases } from "./targets.js";

export const CLIENT_CERT_ROLES_FILE = "client-cert-roles";

export const clientCertRolesPath = (secretsDir: string, postgresService: string) => join(serviceDir(secretsDir, postgresService), CLIENT_CERT_ROLES_FILE);

export function clientCertRolesOf(config: Config): string[] {
  return planDatabases(config)
    .filter((t) => t.clientCert)
    .map((t) => t.role);
}

/** Writes the file (owned by the postgres service, 0600); the folder exists (writeDerivedAdminPassword made it). */
export async function writeClientCertRoles(config: Config): Promise<string> {
  const service = config.services.find((s) => s.name === config.postgres.service);
  const file = clientCertRolesPath(config.secretsDir, config.postgres.service);
  const roles = clientCertRolesOf(config);
  await writeFileAtomic(file, roles.map((r) => `${r}\n`).join(""), { mode: 0o600, ...(service ? { uid: service.uid, gid: service.gid } : {}) });
  return file;
}

/** The roles in the file; a missing file is an error (init always writes it, even empty). */
export async function readClientCertRoles(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`${file}: cannot read the client-certificate roles init writes at every boot (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
