// kill -9 of the raft leader in the middle of a stage: secretstore-setup (at a random count of
// token files written) and db-seed (after a random count of services converged). Each stage
// finishes in the same attempt on the new leader, through vaultClientFor's follower, and nothing
// is written twice: every token works through every node and a second secretstore-setup keeps
// them all; every database password is the only one Vault ever held for it, and logs in.
import { randomBytes } from "node:crypto";
import { chmod, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { isRoot } from "../../../src/fs/atomic-write.js";
import { startPostgres } from "../../../src/servers/postgres-process.js";
import { serverUserFor } from "../../../src/servers/server-user.js";
import { planDatabases } from "../../../src/db/targets.js";
import { dbSeedStage, realDbSeedDeps } from "../../../src/stages/db-seed.js";
import { buildStage } from "../../../src/stages/registry.js";
import { freePort } from "../../../src/servers/free-port.js";
import { followingVaultClient } from "../../../src/vault/cluster/following-client.js";
import { lookupAccessor } from "../../../src/vault/tokens.js";
import { createVaultClient } from "../../../src/vault/vault-client.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";
import { collectBoot, gatesCountAsOpen } from "../../support/run-in-boot.js";
import { seededRandom, testSeed } from "../../support/seeded-random.js";
import { startVaultCluster } from "../../support/vault-cluster.js";
import { credentialsKey } from "../../../src/db/credentials.js";
import { BOOTGATE_IDENTITY } from "../../../src/vault/layout.js";

const seed = testSeed();
const random = seededRandom(seed);
console.log(`cluster-leader-kill: seed ${seed} (BOOTGATE_TEST_SEED=${seed} replays these moments)`);

const SERVICES = Array.from({ length: 24 }, (_, i) => ({ name: `svc-${String(i).padStart(2, "0")}`, database: `db${i}` }));
const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retries = (events: { type: string }[]) => events.filter((e) => e.type === "stage-retry");

describe("the raft leader killed in the middle of a stage", () => {
  it("should finish secretstore-setup and db-seed on the new leader, writing nothing twice", async () => {
    const pgPort = await freePort();
    const user = isRoot() ? await serverUserFor("postgres") : undefined;
    await using cluster = await startVaultCluster({
      nodes: 3,
      config: {
        services: [{ name: "postgres", ip: ["127.0.0.1"], ...(user ? { uid: user.uid, gid: user.gid } : {}) }, ...SERVICES],
        postgres: { port: pgPort, waitTimeout: "20s", admin: { passwordFile: "./secrets/bootgate/postgres-admin.password" } },
      },
    });
    const { config } = cluster;
    const caPem = await readFile(caBundlePath(config.secretsDir));

    // secretstore-setup: the leader goes once k of the services' token files are on disk.
    const names = [...config.services.map((s) => s.name), BOOTGATE_IDENTITY];
    const identities = names.length;
    const k = between(2, SERVICES.length - 4);
    const tokenFiles = () => names.filter((n) => existsSync(servicePath(config.secretsDir, n, "token"))).length;
    const leader = await cluster.leaderName();
    let atKill = -1;
    let running = true;
    const setup = cluster.runSetup().finally(() => (running = false));
    while (running && atKill < 0) {
      if (tokenFiles() >= k) {
        atKill = tokenFiles();
        await cluster.kill(leader);
      } else await sleep(5);
    }
    const run = await setup;
    console.log(`cluster-leader-kill: secretstore-setup, leader ${leader} killed at ${atKill} of ${identities} token files (k ${k})`);
    expect(run.ok, run.output).toBe(true);
    expect(atKill, "the leader died while the stage was still writing tokens").toBeGreaterThanOrEqual(k);
    expect(atKill).toBeLessThan(identities);
    expect(retries(run.events), "finished in its first attempt").toEqual([]);

    // Every token works, through each surviving node.
    const survivors = cluster.names.filter((n) => n !== leader).map((n) => cluster.addresses[cluster.names.indexOf(n)]!);
    for (const service of SERVICES) {
      const file = await readTokenFile(config.secretsDir, service.name);
      for (const address of survivors) {
        const c = createVaultClient({ address, caPem, serverName: "vault", token: file!.token });
        try {
          const self = (await c.api.read("auth/token/lookup-self")) as { data: { display_name: string } };
          expect(self.data.display_name).toContain(service.name);
        } finally {
          c.close();
        }
      }
    }
    // No token twice: a create in flight at the kill was sent again on the new leader, and the
    // extra one its dead leader had committed is gone. Each identity has one live token, its file's.
    const inspector = followingVaultClient(await cluster.login(), config.vault.address);
    try {
      const list = (await inspector.api.list("auth/token/accessors")) as { data: { keys: string[] } };
      const infos = (await Promise.all(list.data.keys.map((a) => lookupAccessor(inspector, a)))).filter((i) => i !== undefined);
      for (const name of names) {
        const file = await readTokenFile(config.secretsDir, name);
        const live = infos.filter((i) => i.display_name === `token-bootgate-${name}`).map((i) => i.accessor);
        expect(live, `${name}: one live token, the one in its token.json`).toEqual([file!.accessor]);
      }
    } finally {
      await inspector.api.write("auth/token/revoke-self", {});
      inspector.close();
    }
    console.log(
      `cluster-leader-kill: secretstore-setup's output: ${/\d+ tokens issued, \d+ kept, \d+ revoked( \(and \d+ extra of resent creates\))?/.exec(run.output)?.[0] ?? "(no count)"}`,
    );

    // The killed node comes back with its storage and rejoins (a second leader kill needs a quorum).
    await cluster.start(leader);
    await cluster.waitForVoters(3, 90_000, cluster.names);
    // Token files and Vault's registry agree: a second run issues and revokes nothing.
    const again = await cluster.runSetup();
    expect(again.ok, again.output).toBe(true);
    expect(again.output).toContain(`0 tokens issued, ${identities} kept, 0 revoked`);

    // db-seed: PostgreSQL beside the cluster, the leader killed after j services converged.
    await chmod(cluster.dir, 0o711);
    const adminPassword = randomBytes(24).toString("base64url");
    const adminPasswordFile = config.postgres.admin.passwordFile!;
    await writeFile(adminPasswordFile, adminPassword + "\n", { mode: 0o600 });
    await using pgServer = await startPostgres({
      dir: join(cluster.dir, "pg"),
      port: pgPort,
      tlsDir: join(config.secretsDir, config.postgres.service),
      adminPasswordFile,
      clientCertRoles: planDatabases(config)
        .filter((t) => t.clientCert)
        .map((t) => t.role),
      settings: { fsync: "off" },
    });
    const j = between(2, SERVICES.length - 6);
    const dbLeader = await cluster.leaderName();
    let converged = 0;
    let dbAtKill = -1;
    const stage = await buildStage(
      dbSeedStage({
        ...realDbSeedDeps({}),
        afterService: async () => {
          if (++converged === j) {
            dbAtKill = converged;
            await cluster.kill(dbLeader);
          }
        },
      }),
      config,
    );
    const seeded = await collectBoot({ config, stages: [stage], boot: "join", waitForGates: gatesCountAsOpen });
    const seededOutput = seeded.events.map((e) => JSON.stringify(e)).join("\n");
    console.log(`cluster-leader-kill: db-seed, leader ${dbLeader} killed after ${dbAtKill} of ${SERVICES.length} services`);
    expect(seeded.ok, seededOutput).toBe(true);
    expect(dbAtKill).toBe(j);
    expect(retries(seeded.events), "finished in its first attempt").toEqual([]);
    expect(seededOutput).toContain(`${SERVICES.length} roles, ${SERVICES.length} created`);

    // Each password: the only one Vault ever held for the service (every version the same), and it logs in.
    const admin = await cluster.login();
    try {
      for (const service of SERVICES) {
        const key = credentialsKey(service.name);
        const meta = (await admin.call("metadata", (c) => c.api.read(`${config.vault.kvMount}/metadata/${key}`))) as {
          data: { current_version: number };
        };
        const versions = await Promise.all(
          Array.from({ length: meta.data.current_version }, (_, v) =>
            admin.call("a version", (c) => c.api.read(`${config.vault.kvMount}/data/${key}?version=${v + 1}`)),
          ),
        );
        const passwords = new Set(versions.map((v) => JSON.stringify((v as { data: { data: { password?: string } } }).data.data.password)));
        expect(passwords.size, `${service.name}: one password in ${meta.data.current_version} versions`).toBe(1);
        const creds = (versions.at(-1) as { data: { data: { password: string; username: string } } }).data.data;
        const client = new pg.Client({
          host: "127.0.0.1",
          port: pgPort,
          user: creds.username,
          password: creds.password,
          database: service.database,
          ssl: { ca: caPem, servername: config.postgres.service, rejectUnauthorized: true },
        });
        client.on("error", () => {});
        await client.connect();
        try {
          expect((await client.query("select current_user as u")).rows[0].u).toBe(client.user);
        } finally {
          await client.end();
        }
      }
    } finally {
      admin.close();
    }
    void pgServer;
  });
});
