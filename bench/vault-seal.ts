// OpenBao's seal and raft timing, 20 services, real OpenBao (raft storage, TLS verified by name):
//   static  the default: static seal from the IKM, self-initialization, bootgate's JWT login
//   shamir  sys/init, keyring, unseal with key shares, identity made with the init root token
// each with raft performance_multiplier 1 (bootgate's setting) and 5 (OpenBao's default).
// Per case, first boot and reboot (OpenBao restarted, tmpfs emptied):
//   answer   `bao server` spawned -> its API answers (sys/seal-status)
//   active   spawned -> sys/health says active and unsealed (static: Vault does it alone;
//            shamir: only once secretstore-setup has unsealed it, so it is the next column)
//   setup    secretstore-setup's stage time
//   ready    spawned -> vault-ready (answer + setup)
// Usage: node --import tsx bench/vault-seal.ts [--rounds 3]   (needs `make bao`, `make build`)
import { rm } from "node:fs/promises";

import { sleep } from "../src/util/sleep.js";
import { vaultClientFor } from "../src/vault/vault-client.js";
import { startVaultStack, type VaultStack } from "../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, saveResult, table } from "./lib.mjs";

const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
const SERVICES = Array.from({ length: 20 }, (_, i) => ({ name: `svc-${i}` }));

async function untilActive(stack: VaultStack): Promise<void> {
  const client = await vaultClientFor(stack.config);
  try {
    for (;;) {
      const health = (await client.api.read("sys/health").catch(() => ({}))) as { sealed?: boolean; standby?: boolean; initialized?: boolean };
      if (health.initialized && health.sealed === false && health.standby === false) return;
      await sleep(20);
    }
  } finally {
    client.close();
  }
}

interface Times {
  answer: number;
  active: number;
  setup: number;
  ready: number;
}

async function boot(stack: VaultStack, seal: string, first: boolean): Promise<Times> {
  const t0 = performance.now();
  if (first) await stack.startBao();
  else await stack.restartBao();
  const answer = performance.now() - t0;
  const active = seal === "static" ? (await untilActive(stack), performance.now() - t0) : NaN;
  const s0 = performance.now();
  const run = await stack.runSetup();
  const setup = performance.now() - s0;
  if (!run.ok) throw new Error(`${seal}: ${run.failures.map((f) => f.message).join("; ")}`);
  return { answer, active: seal === "static" ? active : performance.now() - t0, setup, ready: performance.now() - t0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianTimes = (ts: Times[]): Times => ({
  answer: median(ts.map((t) => t.answer)),
  active: median(ts.map((t) => t.active)),
  setup: median(ts.map((t) => t.setup)),
  ready: median(ts.map((t) => t.ready)),
});

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const seal of ["static", "shamir"]) {
  for (const multiplier of [1, 5]) {
    const firsts: Times[] = [];
    const reboots: Times[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const stack = await startVaultStack({
        setup: false,
        start: false,
        pki: true,
        performanceMultiplier: multiplier,
        config: { services: SERVICES, vault: { seal } },
      });
      try {
        firsts.push(await boot(stack, seal, true));
        await rm(stack.config.secretsDir, { recursive: true, force: true });
        if (!(await stack.runPki()).ok) throw new Error("pki-init failed");
        reboots.push(await boot(stack, seal, false));
      } finally {
        await stack[Symbol.asyncDispose]();
      }
    }
    for (const [kind, times] of [
      ["first boot", firsts],
      ["reboot", reboots],
    ] as const) {
      const m = medianTimes(times);
      rows.push([seal, multiplier, kind, fmt(m.answer), fmt(m.active), fmt(m.setup), fmt(m.ready)]);
      results.push({ seal, performanceMultiplier: multiplier, boot: kind, services: SERVICES.length, rounds: ROUNDS, median: m, all: times });
    }
  }
}
console.log(`bench/vault-seal: ${SERVICES.length} services, median of ${ROUNDS} rounds (ms from \`bao server\` spawned)`);
console.log(table(["seal", "multiplier", "boot", "answer", "active", "setup", "ready"], rows));
console.log(`saved ${saveResult("vault-seal", { results })}`);
