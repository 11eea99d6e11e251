// db-seed's stage time for 20 and 200 services against a real PostgreSQL (fsync on, as in
// production) and a real OpenBao, both started by the project's launchers. Three runs each:
//   fresh     every role, database and Vault record made (CREATE DATABASE dominates)
//   rerun     converged: reads Vault, checks each stored verifier, writes nothing
//   rotate    a new password for every role: Vault write + ALTER ROLE with a SCRAM verifier
// Floor: the bare CREATE ROLE/CREATE DATABASE/REVOKE statements over the same number of
// connections (no Vault, no verifier, no checks) — what PostgreSQL itself costs.
// Peer, same work in the same run: `psql` once per service (the wait-for-it/entrypoint-script
// habit), sending CREATE ROLE/CREATE DATABASE for a fresh set of names over TLS verify-full.
// Usage: node --import tsx bench/db-seed.ts [--sizes 20,200] [--concurrency N (default: the config's, 8)]   (needs `make tools`)
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { findPostgresBinDir } from "../src/servers/postgres-process.js";
import { startDbStack } from "../test/support/db-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, saveResult, table } from "./lib.mjs";
import { bootgateDir, caBundlePath } from "../src/volume/layout.js";

const sizesArg = process.argv.indexOf("--sizes");
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : [20, 200];
const concurrencyArg = process.argv.indexOf("--concurrency");
const CONCURRENCY = concurrencyArg > 0 ? Number(process.argv[concurrencyArg + 1]) : undefined;

async function psqlPeer(stack: Awaited<ReturnType<typeof startDbStack>>, n: number): Promise<number> {
  const bin = join(await findPostgresBinDir(), "psql");
  const pwFile = join(bootgateDir(stack.config.secretsDir), "pgpass");
  await writeFile(pwFile, `*:${stack.config.postgres.port}:*:postgres:${stack.adminPassword}\n`, { mode: 0o600 });
  const env = {
    PGPASSFILE: pwFile,
    PGSSLMODE: "verify-full",
    PGSSLROOTCERT: caBundlePath(stack.config.secretsDir),
    PGHOST: "postgres",
    PGHOSTADDR: "127.0.0.1",
    PGPORT: String(stack.config.postgres.port),
    PGUSER: "postgres",
    PGDATABASE: "postgres",
  };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    // The peer gets a verifier too, so no clear password is on its command line either.
    await execa(bin, ["-q", "-v", "ON_ERROR_STOP=1", "-c", `CREATE ROLE peer_${i} LOGIN`, "-c", `CREATE DATABASE peer_${i} OWNER peer_${i}`], {
      env,
      stdin: "ignore",
      timeout: 30_000,
    });
  }
  return performance.now() - t0;
}

/** The floor: the same CREATE ROLE + CREATE DATABASE statements over one pool, nothing else. */
async function floor(stack: Awaited<ReturnType<typeof startDbStack>>, n: number, concurrency: number): Promise<number> {
  const clients = await Promise.all(Array.from({ length: concurrency }, () => stack.admin()));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    clients.map(async (c) => {
      while (next < n) {
        const i = next++;
        await c.query(`CREATE ROLE floor_${i} LOGIN`);
        await c.query(`CREATE DATABASE floor_${i} OWNER floor_${i}`);
        await c.query(`REVOKE ALL ON DATABASE floor_${i} FROM PUBLIC`);
      }
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(clients.map((c) => c.end()));
  return ms;
}

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const services = Array.from({ length: n }, (_, i) => ({ name: `svc-${i}`, database: `svc_${i}` }));
  const stack = await startDbStack({ services, postgres: CONCURRENCY ? { concurrency: CONCURRENCY } : {}, serverSettings: {} });
  try {
    const timed = async (label: string, config = stack.config) => {
      const run = await stack.runDbSeed({ config });
      if (!run.ok) throw new Error(`${label}: ${run.failures.map((f) => f.message).join("; ")}`);
      const done = run.events.find((e) => e.type === "stage-done") as { durationMs: number } | undefined;
      return done!.durationMs;
    };
    // The first CREATE DATABASE after initdb pays for reading template1 in: not ours to count.
    const warm = await stack.admin();
    await warm.query("CREATE DATABASE bench_warmup");
    await warm.query("DROP DATABASE bench_warmup");
    await warm.end();
    const fresh = await timed("fresh");
    const rerun = await timed("rerun");
    const rotate = await timed("rotate", { ...stack.config, postgres: { ...stack.config.postgres, rotate: true } });
    const floorMs = await floor(stack, n, stack.config.postgres.concurrency);
    const peer = await psqlPeer(stack, n);
    rows.push([n, fmt(fresh), fmt(rerun), fmt(rotate), fmt(floorMs), (fresh / floorMs).toFixed(2) + "×", fmt(peer), (peer / fresh).toFixed(1) + "×"]);
    results.push({
      services: n,
      concurrency: stack.config.postgres.concurrency,
      freshMs: fresh,
      rerunMs: rerun,
      rotateMs: rotate,
      sqlFloorMs: floorMs,
      psqlPerServiceMs: peer,
    });
    console.error(
      `${n} services: fresh ${fmt(fresh)} ms, rerun ${fmt(rerun)} ms, rotate ${fmt(rotate)} ms, SQL floor ${fmt(floorMs)} ms, psql per service ${fmt(peer)} ms`,
    );
  } finally {
    await stack[Symbol.asyncDispose]();
  }
}
console.log(table(["services", "fresh ms", "rerun ms", "rotate ms", "SQL floor ms", "fresh/floor", "psql/service ms", "peer/fresh"], rows));
console.log(`saved ${saveResult("db-seed", { results })}`);
