// A real PostgreSQL beside a real OpenBao for the database tests: certificates from the real
// pki-init, secretstore-setup for the given services (via test/support/vault-stack.ts), then
// PostgreSQL started by src/servers/postgres-process.ts with the `postgres` service's cert.
//
//   await using stack = await startDbStack({ services: [{ name: "core-data", database: "coredata" }] });
//   const run = await stack.runDbSeed();
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import type { Config } from "../../src/config/normalize.js";
import { credentialsKey } from "../../src/db/credentials.js";
import { parseCredentials, readServiceCertPair, serviceClientConfig } from "../../src/db/service-connection.js";
import { planDatabases } from "../../src/db/targets.js";
import { isRoot } from "../../src/fs/atomic-write.js";
import { freePort } from "../../src/servers/free-port.js";
import { startPostgres, type PostgresHandle } from "../../src/servers/postgres-process.js";
import { serverUserFor } from "../../src/servers/server-user.js";
import { dbSeedStage, type DbSeedDeps, realDbSeedDeps } from "../../src/stages/db-seed.js";
import { buildStage } from "../../src/stages/registry.js";
import { openKvClient } from "../../src/vault/open-kv-client.js";
import { collectBoot, gatesCountAsOpen } from "./run-in-boot.js";
import { caBundlePath, servicePath } from "../../src/volume/layout.js";
import { startVaultStack, type StageRun, type VaultStack } from "./vault-stack.js";

const ADMIN_PASSWORD_FILE = "bootgate/postgres-admin.password";

export interface DbServiceInput {
  name: string;
  database?: string | Record<string, unknown>;
  /** Extra IP SANs (a client that dials 127.0.0.1 and checks the name by address, as Python's requests does). */
  ip?: string[];
}

export interface DbStack extends AsyncDisposable {
  vault: VaultStack;
  config: Config;
  configFile: string;
  pg: PostgresHandle;
  adminPassword: string;
  /** db-seed in the current boot, in-process; never throws for a failed stage. */
  runDbSeed(options?: { deps?: Partial<DbSeedDeps>; config?: Config }): Promise<StageRun>;
  /** A superuser connection (verify-full), for checks the test makes behind the stage's back. */
  admin(database?: string): Promise<pg.Client>;
  /** What `service` reads from Vault with its own token. */
  credentialsOf(service: string, asService?: string): Promise<Record<string, unknown> | undefined>;
  /** Connects as `service` with its own credentials from Vault (its own token), verify-full. */
  connectAs(service: string, database?: string): Promise<pg.Client>;
}

export interface DbStackOptions {
  services: DbServiceInput[];
  /** Extra keys for the config's `postgres` section. */
  postgres?: Record<string, unknown>;
  /** Server settings; by default fsync is off (tests need speed, not durability). */
  serverSettings?: Record<string, string>;
  /** More top-level config keys (`pki`, `agent`, `vault`…), merged into the document. */
  config?: Record<string, unknown>;
}

export async function startDbStack(options: DbStackOptions): Promise<DbStack> {
  const pgPort = await freePort();
  const user = isRoot() ? await serverUserFor("postgres") : undefined;
  const vault = await startVaultStack({
    config: {
      ...options.config,
      services: [{ name: "postgres", ip: ["127.0.0.1"], ...(user ? { uid: user.uid, gid: user.gid } : {}) }, ...options.services],
      postgres: { port: pgPort, waitTimeout: "20s", admin: { passwordFile: `./secrets/${ADMIN_PASSWORD_FILE}` }, ...options.postgres },
    },
  });
  try {
    // mkdtemp made the folder 0700: the server user must be able to walk through it.
    await chmod(vault.dir, 0o711);
    const adminPassword = randomBytes(24).toString("base64url");
    // On the secrets volume (bootgate's own folder), like every other secret.
    const adminPasswordFile = join(vault.config.secretsDir, ADMIN_PASSWORD_FILE);
    await writeFile(adminPasswordFile, adminPassword + "\n", { mode: 0o600 });
    const config = vault.config;
    const pgHandle = await startPostgres({
      dir: join(vault.dir, "pg"),
      port: pgPort,
      tlsDir: join(config.secretsDir, config.postgres.service),
      adminPasswordFile,
      clientCertRoles: planDatabases(config)
        .filter((t) => t.clientCert)
        .map((t) => t.role),
      settings: options.serverSettings ?? { fsync: "off" },
    });
    const ca = await readFile(caBundlePath(config.secretsDir));
    const clients: pg.Client[] = [];
    const track = async (client: pg.Client) => {
      client.on("error", () => {});
      clients.push(client);
      await client.connect();
      return client;
    };
    const stack: DbStack = {
      vault,
      config,
      configFile: join(vault.dir, "bootgate.yaml"),
      pg: pgHandle,
      adminPassword,
      async runDbSeed(runOptions = {}) {
        const c = runOptions.config ?? config;
        const stage = await buildStage(dbSeedStage({ ...realDbSeedDeps({}), ...runOptions.deps }), c);
        const run = await collectBoot({ config: c, stages: [stage], boot: "join", waitForGates: gatesCountAsOpen, backoff: { baseMs: 200, capMs: 1_000 } });
        return { ...run, output: run.events.map((e) => JSON.stringify(e)).join("\n") };
      },
      admin: (database = "postgres") =>
        track(
          new pg.Client({
            host: "127.0.0.1",
            port: pgPort,
            user: "postgres",
            password: adminPassword,
            database,
            ssl: { ca, servername: config.postgres.service, rejectUnauthorized: true },
          }),
        ),
      async credentialsOf(service, asService = service) {
        const kv = await openKvClient(config, asService);
        try {
          return await kv.read(credentialsKey(service));
        } finally {
          kv.close();
        }
      },
      async connectAs(service, database) {
        const credentials = parseCredentials(await stack.credentialsOf(service));
        if (typeof credentials === "string") throw new Error(`${service}: ${credentials}`);
        const serviceCa = await readFile(servicePath(config.secretsDir, service, "ca"));
        const settings = serviceClientConfig(
          credentials,
          serviceCa,
          credentials.clientCert ? await readServiceCertPair(config.secretsDir, service) : undefined,
        );
        return track(new pg.Client({ ...settings, ...(database ? { database } : {}) }));
      },
      async [Symbol.asyncDispose]() {
        await Promise.all(clients.map((c) => c.end().catch(() => {})));
        await pgHandle.stop();
        await vault[Symbol.asyncDispose]();
      },
    };
    return stack;
  } catch (error) {
    await vault[Symbol.asyncDispose]();
    throw error;
  }
}
