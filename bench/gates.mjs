// Gate latency: from the gate being written to the waiting command running, for 1, 10 and 100
// waiters, with three waiters side by side in one run on the same work:
//   bootgate  `bootgate wait <gate> -- date +%s%N` (chokidar)
//   floor     a bare Node fs.watch waiter that spawns the same command (the cost of waking a
//             process and starting the command, nothing else)
//   polling   the wait-for-it habit: `while [ ! -f gate ]; do sleep 1; done; exec date +%s%N`
// Usage: node bench/gates.mjs [--rounds-scale 1]   (needs `make build`)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, percentile, ROOT, saveResult, table, wallNs } from "./lib.mjs";

const { beginBoot, openGate } = await import(join(ROOT, "dist/gates/gate-file.js"));
const { gatePath, gatesDir } = await import(join(ROOT, "dist/volume/layout.js"));
const BIN = join(ROOT, "bin/bootgate.js");
const GATE = "bench-ready";
const scale = Number(process.argv[process.argv.indexOf("--rounds-scale") + 1] || 1) || 1;
const PLAN = [
  { waiters: 1, rounds: Math.ceil(30 * scale) },
  { waiters: 10, rounds: Math.ceil(10 * scale) },
  { waiters: 100, rounds: Math.ceil(3 * scale) },
];

const FLOOR_SRC = `
const fs = require("node:fs"); const { spawn } = require("node:child_process");
const [dir, gate] = process.argv.slice(1);
let done = false;
const fire = () => { if (done || !fs.existsSync(dir + "/" + gate)) return; done = true; w.close();
  spawn("date", ["+%s%N"], { stdio: "inherit" }).on("exit", (c) => process.exit(c ?? 1)); };
const w = fs.watch(dir, () => fire());
process.stderr.write("ready\\n"); fire();`;

const PEERS = {
  bootgate: (dir) => ({
    cmd: process.execPath,
    args: [BIN, "wait", GATE, "--secrets-dir", dir, "--timeout", "300s", "--", "date", "+%s%N"],
    ready: "waiting for",
  }),
  floor: (dir) => ({ cmd: process.execPath, args: ["-e", FLOOR_SRC, gatesDir(dir), GATE], ready: "ready" }),
  polling: (dir) => ({ cmd: "sh", args: ["-c", `echo ready >&2; while [ ! -f '${gatePath(dir, GATE)}' ]; do sleep 1; done; exec date +%s%N`], ready: "ready" }),
};

function start({ cmd, args, ready }) {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const watching = new Promise((resolve) =>
    child.stderr.on("data", (d) => {
      err += d;
      if (err.includes(ready)) resolve();
    }),
  );
  child.stdout.on("data", (d) => (out += d));
  const done = new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(BigInt(out.trim())) : reject(new Error(`${cmd} exited ${code}: ${err}`)))),
  );
  return { watching, done };
}

async function round(peer, n) {
  const dir = mkdtempSync(join(tmpdir(), "bootgate-bench-"));
  try {
    const { bootId } = await beginBoot(dir);
    const waiters = Array.from({ length: n }, () => start(PEERS[peer](dir)));
    await Promise.all(waiters.map((w) => w.watching));
    await new Promise((r) => setTimeout(r, 200)); // let the last watchers settle
    const t0 = wallNs();
    await openGate(dir, GATE, bootId);
    const ends = await Promise.all(waiters.map((w) => w.done));
    return ends.map((t) => Number(t - t0) / 1e6);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = [];
for (const { waiters, rounds } of PLAN) {
  for (const peer of Object.keys(PEERS)) {
    // Polling sleeps a second per look: fewer rounds tell the same story.
    const r = peer === "polling" ? Math.min(rounds, 5) : rounds;
    const samples = [];
    for (let i = 0; i < r; i++) samples.push(...(await round(peer, waiters)));
    const row = { peer, waiters, samples: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max: Math.max(...samples) };
    results.push(row);
    process.stderr.write(`${peer} x${waiters}: p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms (${samples.length} samples)\n`);
  }
}

const rows = PLAN.map(({ waiters }) => {
  const get = (peer) => results.find((r) => r.peer === peer && r.waiters === waiters);
  const b = get("bootgate"),
    f = get("floor"),
    p = get("polling");
  return [waiters, fmt(b.p50), fmt(b.p99), fmt(f.p50), fmt(f.p99), (b.p99 / f.p99).toFixed(2) + "×", fmt(p.p50), fmt(p.p99), (p.p50 / b.p50).toFixed(0) + "×"];
});
console.log("\nGate latency, gate written → waiting command running (ms)\n");
console.log(table(["waiters", "bootgate p50", "p99", "floor p50", "p99", "bootgate/floor p99", "polling p50", "p99", "polling/bootgate p50"], rows));
console.log(`\nsaved ${saveResult("gates", { results })}`);
