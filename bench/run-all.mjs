// `make bench`: every benchmark, one after the other (they share two cores), each printing its
// own table with its peers and ratios and saving JSON under bench/results/.
import { execFileSync } from "node:child_process";
import { ROOT } from "./lib.mjs";

const RUNS = [
  ["node", ["bench/gates.mjs"]],
  ["npx", ["tsx", "bench/pki/run.ts"]],
  ["node", ["--import", "tsx", "bench/vault.ts"]],
  ["node", ["--import", "tsx", "bench/vault-seal.ts"]],
  ["node", ["--import", "tsx", "bench/db-seed.ts"]],
  ["node", ["--import", "tsx", "bench/gateway.ts"]],
  ["node", ["bench/up.mjs"]],
  // Needs root and a Docker engine (scripts/docker-engine.sh starts one).
  ["node", ["bench/compose.mjs"]],
];
for (const [cmd, args] of RUNS) {
  console.log(`\n=== ${cmd} ${args.join(" ")}`);
  execFileSync(cmd, args, { cwd: ROOT, stdio: "inherit" });
}
