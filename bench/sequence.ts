// The whole sequence (`bootgate run`: pki-init, secretstore-setup, db-seed) as one CLI process
// against a running OpenBao and PostgreSQL, for 20 and 500 services, with the process's peak
// memory. Three runs each, in one stack:
//   first     the database side's first boot: every role and schema made (Vault was initialized
//             by the harness beforehand — OpenBao's own raft start is not bootgate's time)
//   rerun     same boot: certificates and tokens kept, credentials converged, nothing written
//   reboot    the tmpfs emptied and the servers restarted on this boot's certificates (Vault
//             sealed): unseal from the keyring, new tokens (old ones revoked), roles checked
//             against Vault; pki-init keeps the certificates the servers were restarted with
// Services use schema mode in one shared database (500 CREATE DATABASE would measure PostgreSQL's
// template copies, see bench/db-seed.ts for that). Targets: 20 services < 2 s,
// 500 < 15 s, peak memory at 500 < 150 MB.
// Usage: node --import tsx bench/sequence.ts [--sizes 20,500]   (needs `make build tools`)
import { copyFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { startDbStack } from "../test/support/db-stack.js";
import { bootgateDir, localAdminPasswordPath } from "../src/volume/layout.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { ROOT, saveResult, table } from "./lib.mjs";

const sizesArg = process.argv.indexOf("--sizes");
const SIZES = sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : [20, 500];

async function runCli(configFile: string): Promise<{ ms: number; maxRssMb: number; stages: Record<string, number> }> {
  const t0 = performance.now();
  const r = await execa(
    process.execPath,
    ["-r", join(ROOT, "bench/report-maxrss.cjs"), join(ROOT, "bin/bootgate.js"), "run", "--json", "--config", configFile],
    {
      reject: false,
      env: { ...process.env, CI: "1" },
    },
  );
  const ms = performance.now() - t0;
  if (r.exitCode !== 0) throw new Error(`bootgate run failed (${r.exitCode}):\n${r.stderr}`);
  const kb = Number(/bench-maxrss-kb (\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const stages: Record<string, number> = {};
  for (const line of r.stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const e = JSON.parse(line) as { type: string; stage?: string; durationMs?: number };
    if (e.type === "stage-done") stages[e.stage!] = e.durationMs!;
  }
  return { ms, maxRssMb: kb / 1024, stages };
}

const STAGES = ["pki-init", "secretstore-setup", "db-seed"];
const rows: unknown[][] = [];
const results: unknown[] = [];
for (const n of SIZES) {
  const services = Array.from({ length: n }, (_, i) => ({ name: `svc-${i + 1}`, database: { name: `svc_${i + 1}`, mode: "schema", shared: "apps" } }));
  await using stack = await startDbStack({ services, serverSettings: { fsync: "on" }, postgres: { waitTimeout: "60s" } });
  const secrets = stack.config.secretsDir;
  const first = await runCli(stack.configFile);
  const rerun = await runCli(stack.configFile);
  // A reboot empties the tmpfs; the harness keeps its admin password file there, so it goes back.
  const pw = localAdminPasswordPath(secrets);
  const saved = join(stack.vault.dir, "pw.keep");
  await copyFile(pw, saved);
  for (const e of await readdir(secrets)) await rm(join(secrets, e), { recursive: true, force: true });
  await import("node:fs/promises").then((fs) => fs.mkdir(bootgateDir(secrets), { mode: 0o700 }));
  await copyFile(saved, pw);
  // …and a reboot restarts the servers: they come back on the new boot's certificates (pki-init
  // runs first; Vault comes back sealed). Their start is not bootgate's time: restarted after it.
  const pki = await execa(process.execPath, [join(ROOT, "bin/bootgate.js"), "run", "--only", "pki-init", "--config", stack.configFile], { reject: false });
  if (pki.exitCode !== 0) throw new Error(pki.stderr);
  await stack.vault.restartBao();
  await stack.pg.restart();
  await copyFile(saved, pw);
  const reboot = await runCli(stack.configFile);
  for (const [label, r] of [
    ["first", first],
    ["rerun", rerun],
    ["reboot", reboot],
  ] as const) {
    rows.push([n, label, r.ms.toFixed(0), r.maxRssMb.toFixed(0), ...STAGES.map((st) => r.stages[st] ?? "-")]);
    results.push({ services: n, run: label, ms: r.ms, maxRssMb: r.maxRssMb });
  }
}
console.log("\nWhole sequence, `bootgate run` as one process (pki-init, secretstore-setup, db-seed)\n");
console.log(table(["services", "run", "wall ms", "peak RSS MB", ...STAGES.map((st) => `${st} ms`)], rows));
console.log("targets: 20 services < 2000 ms, 500 < 15000 ms, peak RSS at 500 < 150 MB");
console.log(`saved ${saveResult("sequence", { results })}`);
