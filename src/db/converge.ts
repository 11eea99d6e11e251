// Converging one service's database credentials. Vault is the source of truth:
//   - Vault holds a password (and no rotation is asked): PostgreSQL is set to it, unless the
//     stored verifier already matches, in which case nothing is written anywhere;
//   - otherwise a new password goes to Vault FIRST, then to PostgreSQL.
// A crash between the two writes leaves Vault ahead; the next run sets PostgreSQL to it, so the
// service logs in either way. PostgreSQL only ever receives a SCRAM verifier.
import type { Config } from "../config/normalize.js";
import type { KvClient } from "../vault/kv-client.js";
import type { CrashPoint } from "./crash-hook.js";
import { credentialsFor, credentialsKey, sameCredentials, storedPassword } from "./credentials.js";
import type { DbAdmin, Inventory } from "./db-admin.js";
import { generatePassword } from "./password.js";
import { scramVerifier, verifierMatches } from "./scram-verifier.js";
import type { DbTarget } from "./targets.js";

export type RoleChange = "created" | "password-set" | "unchanged";

export interface ConvergeResult {
  service: string;
  role: RoleChange;
  /** A new password was made (first run, rotation, or nothing usable in Vault). */
  newPassword: boolean;
  vaultWritten: boolean;
  databaseCreated: boolean;
}

export interface ConvergeDeps {
  config: Config;
  kv: KvClient;
  admin: DbAdmin;
  /** Taken once per attempt; updated here as roles and databases are made. */
  inventory: Inventory;
  rotate: boolean;
  crash?: ((point: CrashPoint) => void) | undefined;
  /** Shared databases made in this attempt, so two services do not both create one. */
  sharedCreating?: Map<string, Promise<void>>;
}

export async function convergeTarget(target: DbTarget, deps: ConvergeDeps): Promise<ConvergeResult> {
  const { config, kv, admin, inventory } = deps;
  const existing = inventory.roles.get(target.role);
  if (existing?.privileged && existing.privileged.length > 0) {
    // A role someone else made with powers a service must not have: handing its password out would hand those out.
    throw new Error(
      `role \`${target.role}\` already exists with ${existing.privileged.join(", ")}; refusing to give its password to service \`${target.service}\` (rename the service or the role)`,
    );
  }
  const key = credentialsKey(target.service);
  const record = await kv.read(key);
  const kept = deps.rotate ? undefined : storedPassword(record);
  const password = kept ?? generatePassword();
  const wanted = credentialsFor(config, target, password);
  let vaultWritten = false;
  if (!sameCredentials(record, wanted)) {
    await kv.write(key, { ...wanted });
    vaultWritten = true;
    if (kept === undefined) deps.crash?.("vault-write");
  }

  const current = inventory.roles.get(target.role);
  let role: RoleChange = "unchanged";
  if (current === undefined) {
    await admin.createRole(target.role, await scramVerifier(password));
    role = "created";
  } else if (!current.canLogin || !current.verifier || !(await verifierMatches(current.verifier, password))) {
    await admin.setPassword(target.role, await scramVerifier(password));
    role = "password-set";
  }
  inventory.roles.set(target.role, { canLogin: true, verifier: undefined });

  let databaseCreated = false;
  if (target.mode === "database") {
    const owner = inventory.databases.get(target.database);
    if (owner === undefined) {
      await admin.createDatabase(target.database, target.role);
      databaseCreated = true;
    } else if (owner !== target.role) {
      await admin.setDatabaseOwner(target.database, target.role);
    }
    inventory.databases.set(target.database, target.role);
  } else {
    if (!inventory.databases.has(target.database)) {
      const creating = deps.sharedCreating ?? new Map<string, Promise<void>>();
      let pending = creating.get(target.database);
      if (!pending) {
        pending = admin.createSharedDatabase(target.database);
        creating.set(target.database, pending);
        databaseCreated = true;
      }
      await pending;
      inventory.databases.set(target.database, config.postgres.admin.user);
    }
    await admin.ensureSchema(target.database, target.schema!, target.role);
  }
  if (target.grants.length > 0) await admin.grant(target.database, target.role, target.grants);
  return { service: target.service, role, newPassword: kept === undefined, vaultWritten, databaseCreated };
}
