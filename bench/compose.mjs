// The compose stack in real containers: from `up -d` to every gate of the boot open, and to every
// service container healthy, for the first boot (Vault initialized, roles created) and a reboot
// (`down` without -v, then `up -d`: the tmpfs volume comes back empty, Vault is unsealed from the
// keyring). The gates are read on the host from the secrets volume every 10 ms, so the figure
// includes container creation, OpenBao's and PostgreSQL's start and the whole `bootgate run`.
// Both mount modes in one run where the engine has volume subpath: per-service folders
// (compose/subpath.yml) and the whole volume (the fallback of older engines), with their ratio.
// Usage: node bench/compose.mjs [--runs N]   (as root; needs `make build bao`; builds images if needed)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT, fmt, saveResult, table } from "./lib.mjs";

const { bootPath, gatePath, gatesDir } = await import(join(ROOT, "dist/volume/layout.js"));
const { poll } = await import(join(ROOT, "dist/util/poll.js"));

const runs = Number(process.argv[process.argv.indexOf("--runs") + 1] || 2) || 2;
const GATES = ["pki-ready", "vault-ready", "gateway-cert-ready", "gateway-ready", "db-ready"];
const SERVICES = ["vault", "postgres", "gateway", "core-data", "core-metadata"];

const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], ...opts }).trim();
const project = `bgbench${process.pid}`;
let subpath = "0";
// compose/compose.sh: the stack's files, plus compose/subpath.yml when BOOTGATE_COMPOSE_SUBPATH=1.
const compose = (...args) =>
  sh("bash", ["compose/compose.sh", "-p", project, ...args], {
    env: { ...process.env, COMPOSE_HTTP_TIMEOUT: "600", BOOTGATE_GATEWAY_PUBLISH: "0", BOOTGATE_COMPOSE_SUBPATH: subpath },
  });

let t = performance.now();
sh("bash", ["scripts/docker-engine.sh"]);
sh("bash", ["compose/image/build.sh"], { stdio: ["ignore", "pipe", "inherit"] });
const prepareMs = performance.now() - t;

const json = (file) => {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
};

/**
 * Milliseconds from `start` until every gate of the current boot is on the volume, and when each
 * one opened (`firstOpen`, from the gate file's mtime against `startEpochMs`, the wall clock at
 * `start`: `up -d` blocks this process, so polling alone could not see a gate opened before it
 * returned; pki-ready says when init got going, vault-ready when Vault did).
 */
async function gatesOpen(start, startEpochMs, firstOpen, timeoutMs = 300_000) {
  let mount;
  const open = () => {
    mount ??= spawnSync("docker", ["volume", "inspect", "-f", "{{.Mountpoint}}", `${project}_secrets`], { encoding: "utf8" }).stdout?.trim() || undefined;
    if (!mount || !existsSync(gatesDir(mount))) return undefined;
    const boot = json(bootPath(mount));
    if (!boot) return undefined;
    for (const g of GATES)
      if (firstOpen[g] === undefined && json(gatePath(mount, g))?.bootId === boot.bootId) firstOpen[g] = statSync(gatePath(mount, g)).mtimeMs - startEpochMs;
    return GATES.every((g) => firstOpen[g] !== undefined) ? performance.now() - start : undefined;
  };
  const left = timeoutMs - (performance.now() - start);
  return poll(open, { timeoutMs: left, intervalMs: 10, what: () => `every gate of the boot:\n${compose("logs", "--no-color", "init").slice(-2000)}` });
}

async function allHealthy(start, timeoutMs = 300_000) {
  const healthy = () => {
    const ids = compose("ps", "-q", ...SERVICES)
      .split("\n")
      .filter(Boolean);
    if (ids.length !== SERVICES.length) return undefined;
    const health = sh("docker", ["inspect", "-f", "{{.State.Health.Status}}", ...ids]).split("\n");
    return health.every((h) => h === "healthy") ? performance.now() - start : undefined;
  };
  return poll(healthy, { timeoutMs: timeoutMs - (performance.now() - start), intervalMs: 200, what: "the service containers to turn healthy" });
}

function stageTimes() {
  const times = {};
  for (const line of compose("logs", "--no-color", "init").split("\n")) {
    const m = /✓ (\S+)\s+(\d+) ms/.exec(line);
    if (m) times[m[1]] = Number(m[2]);
  }
  return times;
}

async function boot(label) {
  const start = performance.now();
  const startEpochMs = Date.now();
  compose("up", "-d");
  const upReturnedMs = performance.now() - start;
  const firstOpen = {};
  const gatesMs = await gatesOpen(start, startEpochMs, firstOpen);
  const healthyMs = await allHealthy(start);
  return { label, upReturnedMs, gatesMs, firstOpen, healthyMs, stages: stageTimes() };
}

const native = sh("bash", ["compose/compose.sh", "--mode"], { env: { ...process.env, BOOTGATE_COMPOSE_SUBPATH: "" } });
const modes = native === "subpath" ? ["1", "0"] : ["0"];
const results = [];
try {
  for (const mode of modes) {
    subpath = mode;
    const name = mode === "1" ? "subpath" : "whole volume";
    for (let i = 0; i < runs; i++) {
      compose("down", "-v", "-t", "5");
      results.push({ mode: name, ...(await boot(`${name}: first boot #${i + 1}`)) });
      t = performance.now();
      compose("down", "-t", "20");
      const downMs = performance.now() - t;
      results.push({ mode: name, ...(await boot(`${name}: reboot #${i + 1}`)), downMs });
    }
    compose("down", "-v", "-t", "5");
  }
} finally {
  compose("down", "-v", "-t", "5");
}

const stageNames = ["pki-init", "secretstore-setup", "db-seed", "gateway-cert", "proxy-setup"];
const engine = sh("docker", ["version", "-f", "{{.Server.Version}} (API {{.Server.APIVersion}})"]);
const composeVersion = sh("docker", ["compose", "version", "--short"]);
console.log(
  `compose stack (engine ${engine}, Compose ${composeVersion}, ${sh("docker", ["info", "-f", "{{.Driver}}"])} storage), images ready in ${fmt(prepareMs)} ms`,
);
console.log(
  table(
    ["boot", "up -d returned", "pki-ready", "vault-ready", "all gates open", "all healthy", ...stageNames, "down before"],
    results.map((r) => [
      r.label,
      fmt(r.upReturnedMs),
      fmt(r.firstOpen["pki-ready"]),
      fmt(r.firstOpen["vault-ready"]),
      fmt(r.gatesMs),
      fmt(r.healthyMs),
      ...stageNames.map((s) => fmt(r.stages[s])),
      r.downMs ? fmt(r.downMs) : "-",
    ]),
  ),
);
console.log("(ms, each from the start of `up -d`; a gate's column: when it opened (its file's mtime); `all healthy` waits for the health checks' interval)");
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
if (modes.length === 2) {
  for (const kind of ["first boot", "reboot"]) {
    const of = (mode) => mean(results.filter((r) => r.mode === mode && r.label.includes(kind)).map((r) => r.gatesMs));
    console.log(
      `${kind}, all gates open (mean of ${runs}): subpath ${fmt(of("subpath"))} ms / whole volume ${fmt(of("whole volume"))} ms = ${(of("subpath") / of("whole volume")).toFixed(2)}×`,
    );
  }
}
console.log(`saved ${saveResult("compose", { prepareMs, results })}`);
