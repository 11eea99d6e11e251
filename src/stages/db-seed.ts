// db-seed: one PostgreSQL role per service that declares a `database`, its password kept in
// Vault (the source of truth) at `<service>/database`, plus the database or schema it owns.
// Needs vault-ready (bootgate's own Vault token), opens db-ready once every role exists and
// every service's credentials are in Vault.
import { DB_READY, VAULT_READY } from "../gates/gate-names.js";
import type { Config } from "../config/normalize.js";
import { convergeTarget, type ConvergeResult } from "../db/converge.js";
import { crashHookFrom, type CrashPoint } from "../db/crash-hook.js";
import type { DbAdmin } from "../db/db-admin.js";
import { PgDbAdmin } from "../db/pg-db-admin.js";
import { planDatabases, type DbTarget } from "../db/targets.js";
import { defineStage } from "../runner/define-stage.js";
import type { KvClient } from "../vault/kv-client.js";
import { BOOTGATE_IDENTITY } from "../vault/layout.js";
import { mapLimit } from "../util/map-limit.js";
import { openKvClient } from "../vault/open-kv-client.js";

export const DB_SEED = "db-seed";

export interface DbSeedDeps {
  openKv(config: Config): Promise<KvClient & { close?(): void }>;
  openAdmin(config: Config): Promise<DbAdmin>;
  crash?: ((point: CrashPoint) => void) | undefined;
  /** Called after each service converged (tests restart PostgreSQL here). */
  afterService?(service: string): Promise<void>;
}

export const realDbSeedDeps = (env: NodeJS.ProcessEnv = process.env): DbSeedDeps => ({
  openKv: (config) => openKvClient(config, BOOTGATE_IDENTITY),
  openAdmin: (config) => PgDbAdmin.open(config),
  crash: crashHookFrom(env),
});

function summarize(results: readonly ConvergeResult[]): string {
  const count = (pred: (r: ConvergeResult) => boolean) => results.filter(pred).length;
  const parts = [
    `${results.length} role${results.length === 1 ? "" : "s"}`,
    `${count((r) => r.role === "created")} created`,
    `${count((r) => r.role === "password-set")} password set`,
    `${count((r) => r.role === "unchanged")} unchanged`,
  ];
  const made = count((r) => r.databaseCreated);
  if (made > 0) parts.push(`${made} database${made === 1 ? "" : "s"} created`);
  return parts.join(", ");
}

/** The targets (and every name) are checked in preflight, before any connection. */
export function dbSeedStage(deps: DbSeedDeps = realDbSeedDeps()) {
  return defineStage({
    name: DB_SEED,
    needs: [VAULT_READY],
    opens: [DB_READY],
    enabled: (config) => config.services.some((s) => s.database !== undefined),
    preflight: async (config): Promise<DbTarget[]> => planDatabases(config),
    async run(ctx, targets) {
      const admin = await deps.openAdmin(ctx.config);
      const kv = await deps.openKv(ctx.config);
      try {
        await admin.waitUntilReady(ctx.config.postgres.waitTimeoutMs, ctx.signal);
        // One look at the catalog per attempt; a retry (after a restart) looks again.
        const inventory = await admin.inventory();
        const sharedCreating = new Map<string, Promise<void>>();
        const results = await mapLimit(targets, ctx.config.postgres.concurrency, async (target) => {
          ctx.signal.throwIfAborted();
          const result = await convergeTarget(target, {
            config: ctx.config,
            kv,
            admin,
            inventory,
            rotate: ctx.config.postgres.rotate,
            crash: deps.crash,
            sharedCreating,
          });
          if (result.role !== "unchanged") {
            ctx.log.info(
              `${target.service}: role ${target.role} ${result.role === "created" ? "created" : "password set"}${result.newPassword ? " (new password, in Vault first)" : " (from Vault)"}`,
            );
          }
          await deps.afterService?.(target.service);
          return result;
        });
        return { summary: summarize(results) };
      } finally {
        kv.close?.();
        await admin.close();
      }
    },
  });
}
