// `make up` to the summary on a warm machine, split by stage: the make prerequisites (a no-op
// when built and installed), then `bootgate up --local` to its ready line, for the first boot
// (Vault initialized, roles created) and a reboot (unsealed from the keyring, passwords kept).
// Each boot is also split in time: before the run (Node start-up, `up`'s modules, the leftover
// sweep, the tmpfs), the run itself (pki-init to the last gate), and after it to the summary
// (the parts that start on the last gates: nginx, the example services).
// Usage: node bench/up.mjs [--rounds 1]   (needs `make build tools`; ports are picked free,
// below the ephemeral range as the tests pick them; the median of the rounds is shown)
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { percentile, ROOT, saveResult, table } from "./lib.mjs";

const { freePort } = await import(join(ROOT, "dist/servers/free-port.js"));
const flag = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const rounds = Number(flag("--rounds") || 1) || 1;

const t0 = performance.now();
execFileSync("make", ["-s", "build", "tools"], { cwd: ROOT, stdio: "ignore" });
const makeMs = performance.now() - t0;

/** Vault's port and the next (its cluster port), and the example services' two, all distinct. */
async function ports() {
  for (;;) {
    const p = { vault: await freePort(), pg: await freePort(), gateway: await freePort(), examples: await freePort() };
    const all = [p.vault, p.vault + 1, p.pg, p.gateway, p.examples, p.examples + 1];
    if (new Set(all).size === all.length) return p;
  }
}

/** CPU time `up` itself has used so far (user + system, 10 ms ticks): what a busy machine does not inflate. */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

async function boot(label, dir, env) {
  const start = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "bin/bootgate.js"), "up", "--local", "--json"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let buffer = "";
  let err = "";
  const at = {};
  const cpu = {};
  child.stderr.on("data", (d) => (err += d));
  const ready = await new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      buffer += d;
      for (const line of buffer.split("\n").slice(0, -1)) {
        const e = JSON.parse(line);
        if (!(e.type in at)) {
          at[e.type] = performance.now() - start;
          cpu[e.type] = cpuMsOf(child.pid);
        }
        if (e.type === "up-ready") resolve(e);
      }
      buffer = buffer.slice(buffer.lastIndexOf("\n") + 1);
    });
    child.on("exit", (code) => reject(new Error(`up exited ${code}: ${err}`)));
  });
  const totalMs = performance.now() - start;
  const exited = new Promise((r) => child.on("exit", r));
  child.kill("SIGINT");
  await exited;
  const phases = { beforeRunMs: at["run-start"], runMs: at["run-done"] - at["run-start"], afterRunMs: totalMs - at["run-done"] };
  return { label, totalMs, phases, cpuBeforeRunMs: cpu["run-start"], cpuToSummaryMs: cpu["up-ready"], stageTimes: ready.stageTimes };
}

const runs = [];
for (let round = 0; round < rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), "bootgate-bench-up-"));
  chmodSync(dir, 0o711);
  const p = await ports();
  const env = {
    ...process.env,
    BOOTGATE_CONFIG: "",
    BOOTGATE_SECRETS_DIR: "",
    BOOTGATE_VAULT_ADDR: `https://127.0.0.1:${p.vault}`,
    BOOTGATE_PG_PORT: String(p.pg),
    BOOTGATE_GATEWAY_PORT: String(p.gateway),
    BOOTGATE_EXAMPLE_BASE_PORT: String(p.examples),
  };
  try {
    runs.push(await boot("first boot", dir, env), await boot("reboot", dir, env));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const stages = ["pki-init", "secretstore-setup", "db-seed", "gateway-cert", "proxy-setup"];
const median = (label, get) => percentile(runs.filter((r) => r.label === label).map(get), 50);
const rows = ["first boot", "reboot"].map((label) => [
  label,
  median(label, (r) => r.totalMs).toFixed(0),
  median(label, (r) => r.phases.beforeRunMs).toFixed(0),
  median(label, (r) => r.cpuBeforeRunMs).toFixed(0),
  median(label, (r) => r.phases.runMs).toFixed(0),
  median(label, (r) => r.phases.afterRunMs).toFixed(0),
  median(label, (r) => r.cpuToSummaryMs).toFixed(0),
  ...stages.map((s) => median(label, (r) => r.stageTimes[s] ?? NaN)),
]);
console.log(`\nmake build tools (warm, no-op): ${makeMs.toFixed(0)} ms; median of ${rounds} round(s); load average ${loadavg()[0].toFixed(1)}\n`);
console.log(table(["boot", "to summary (ms)", "before run", "its CPU", "run", "after run", "up's CPU to summary", ...stages], rows));
console.log("\nsecretstore-setup includes waiting for OpenBao to start and answer (it starts at pki-ready).");
// bench/summary.mjs reads the medians.
const medianRun = (label) => ({ label, totalMs: median(label, (r) => r.totalMs) });
console.log(`saved ${saveResult("up", { makeMs, rounds, medians: [medianRun("first boot"), medianRun("reboot")], runs })}`);
