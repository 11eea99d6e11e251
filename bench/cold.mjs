// Cold start: a whole `bootgate` process that has nothing to wait for, beside its peers, in one
// run with the repetitions interleaved (a busy machine then slows every peer alike):
//   node -e 0        Node's own start-up, the floor of any Node command
//   wait.sh          the generated POSIX sh waiter on the same open gate (images without Node)
//   wait (open)      `bootgate wait pki-ready -- true` on an already open gate: every Node
//                    container pays this before its own command starts
//   --help           `bootgate --help`
// Each run goes through /usr/bin/time for its CPU and peak RSS; wall time is measured here.
// Usage: node bench/cold.mjs [--reps 25] [--also DIR]   (needs `make build`; --also adds the
// same two bootgate rows for another built tree, e.g. a checkout of main, interleaved likewise)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fmt, percentile, ROOT, saveResult, table } from "./lib.mjs";

const { beginBoot, openGate } = await import(join(ROOT, "dist/gates/gate-file.js"));
const { installWaiterScript } = await import(join(ROOT, "dist/gates/install-waiter.js"));
const BIN = join(ROOT, "bin/bootgate.js");
const TIME = "/usr/bin/time";
const flag = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const reps = Number(flag("--reps") || 25) || 25;
const also = flag("--also");

const dir = mkdtempSync(join(tmpdir(), "bootgate-bench-cold-"));
const { bootId } = await beginBoot(dir);
await openGate(dir, "pki-ready", bootId, "pki-init");
const waiter = await installWaiterScript(dir);
const timeOut = join(dir, "time.out");

const PEERS = {
  "node -e 0": [process.execPath, "-e", "0"],
  "wait.sh": ["sh", waiter, "pki-ready", "--", "true"],
  "wait (open)": [process.execPath, BIN, "wait", "pki-ready", "--secrets-dir", dir, "--", "true"],
  "--help": [process.execPath, BIN, "--help"],
};
if (also) {
  const other = join(also, "bin/bootgate.js");
  PEERS["wait (open), --also"] = [process.execPath, other, "wait", "pki-ready", "--secrets-dir", dir, "--", "true"];
  PEERS["--help, --also"] = [process.execPath, other, "--help"];
}

function once(argv) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ["-o", timeOut, "-f", "%U %S %M", ...argv], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, BOOTGATE_CONFIG: "" } });
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  const [user, sys, kb] = readFileSync(timeOut, "utf8").trim().split("\n").pop().split(/\s+/).map(Number);
  return { wallMs, cpuMs: (user + sys) * 1000, rssMb: kb / 1024 };
}

const names = Object.keys(PEERS);
const samples = Object.fromEntries(names.map((n) => [n, []]));
const load0 = loadavg()[0];
try {
  for (const argv of Object.values(PEERS)) once(argv); // warm the page cache, not counted
  for (let i = 0; i < reps; i++) {
    // Rotated order, so no peer always runs right after the same neighbour.
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      samples[name].push(once(PEERS[name]));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const load1 = loadavg()[0];

const stats = Object.fromEntries(
  names.map((n) => {
    const s = samples[n];
    const col = (k) => s.map((x) => x[k]);
    return [
      n,
      {
        wallP50: percentile(col("wallMs"), 50),
        wallP90: percentile(col("wallMs"), 90),
        cpuP50: percentile(col("cpuMs"), 50),
        rssP50: percentile(col("rssMb"), 50),
        rssMax: Math.max(...col("rssMb")),
      },
    ];
  }),
);
const base = stats["node -e 0"];
const rows = names.map((n) => {
  const s = stats[n];
  return [
    n,
    fmt(s.wallP50),
    fmt(s.wallP90),
    fmt(s.cpuP50),
    s.rssMax.toFixed(1),
    (s.wallP50 / base.wallP50).toFixed(2) + "×",
    (s.cpuP50 / Math.max(base.cpuP50, 1)).toFixed(2) + "×",
  ];
});
console.log(`\nCold start, whole process (${reps} interleaved repetitions; ${process.version}; load average ${load0.toFixed(1)} → ${load1.toFixed(1)})\n`);
console.log(table(["command", "wall p50 ms", "p90", "cpu p50 ms", "peak RSS MB", "wall / node -e 0", "cpu / node -e 0"], rows));
const verdict = (n) => {
  const s = stats[n];
  const ok = s.wallP50 <= 2 * base.wallP50 && s.rssMax < 45;
  return `${n}: ${(s.wallP50 / base.wallP50).toFixed(2)}× node -e 0, ${s.rssMax.toFixed(1)} MB — target ≤ 2× and < 45 MB ${ok ? "met" : "NOT met"}`;
};
console.log("\n" + ["wait (open)", "--help"].map(verdict).join("\n"));
console.log(`saved ${saveResult(also ? "cold-also" : "cold", { reps, node: process.version, load: [load0, load1], also, stats, samples })}`);
