// `make bench`: every benchmark, one after the other (they share two cores), each printing its
// own table with its peers and ratios and saving JSON under bench/results/.
import { execFileSync } from "node:child_process";
import { ROOT } from "./lib.mjs";

const RUNS = [
  ["node", ["bench/cold.mjs"]],
  ["node", ["bench/gates.mjs"]],
  ["npx", ["tsx", "bench/pki/run.ts"]],
  ["node", ["--import", "tsx", "bench/pki/issuance.ts"]],
  ["node", ["--import", "tsx", "bench/vault.ts"]],
  ["node", ["--import", "tsx", "bench/vault-seal.ts"]],
  ["node", ["--import", "tsx", "bench/vault-cluster.ts"]],
  ["node", ["--import", "tsx", "bench/db-seed.ts"]],
  ["node", ["--import", "tsx", "bench/gateway.ts"]],
  ["node", ["--import", "tsx", "bench/agent.ts"]],
  ["node", ["--import", "tsx", "bench/enroll.ts"]],
  ["node", ["bench/up.mjs"]],
  // Needs root and a Docker engine (scripts/docker-engine.sh starts one).
  ["node", ["bench/compose.mjs"]],
];
const failed = [];
for (const [cmd, args] of RUNS) {
  console.log(`\n=== ${cmd} ${args.join(" ")}`);
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
  } catch {
    // The others still run (the compose bench needs root and Docker), and the table still prints.
    failed.push(`${cmd} ${args.join(" ")}`);
  }
}
// Issue #18's table from the results just saved.
execFileSync("node", ["bench/summary.mjs"], { cwd: ROOT, stdio: "inherit" });
if (failed.length) {
  console.error(`\nfailed: ${failed.join("; ")}`);
  process.exitCode = 1;
}
