// bench/pki: root, intermediate and N leaves into per-service folders on a tmpfs, by bootgate's
// pki-init and by its peers doing the same work (cfssl, the openssl CLI), in one run, with the
// ratios; and the floor: bare key generation plus signing in Node, no certificates, no files.
//
//   npx tsx bench/pki/run.ts [--n 20,200] [--rounds 3] [--dir /dev/shm]
//
// Results go to stdout and bench/results/pki-<time>.json. The CLI column runs the built tree
// (`make build` first): a whole `bootgate run --only pki-init` process, as a peer script runs.
import { generateKeyPair, sign } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs, promisify } from "node:util";
import { execa } from "execa";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import { provisionPki } from "../../src/pki/provision.js";

const here = import.meta.dirname;
const repo = resolve(here, "../..");
const { values } = parseArgs({
  options: { n: { type: "string", default: "20,200" }, rounds: { type: "string", default: "3" }, dir: { type: "string", default: "/dev/shm" } },
});
const sizes = values.n.split(",").map(Number);
const rounds = Number(values.rounds);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const services = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `svc-${i + 1}`, ip: ["127.0.0.1"] }));

async function fresh(): Promise<string> {
  return mkdtemp(join(values.dir, "bootgate-bench-pki-"));
}

/** Every service folder holds cert.pem, key.pem and ca.pem, and ca/ca.pem exists: the same work. */
async function checkLayout(out: string, n: number): Promise<void> {
  const entries = (await readdir(out)).filter((e) => !e.startsWith("."));
  const folders = entries.filter((e) => e.startsWith("svc-"));
  if (folders.length !== n || !entries.includes("ca")) throw new Error(`${out}: expected ca/ and ${n} service folders, found ${entries.length} entries`);
  for (const f of folders.slice(0, 3)) {
    const files = (await readdir(join(out, f))).sort().join(",");
    if (files !== "ca.pem,cert.pem,key.pem") throw new Error(`${out}/${f}: expected ca.pem,cert.pem,key.pem, found ${files}`);
  }
}

interface Sample {
  wallMs: number;
  /** user + system CPU of all threads and children: steadier than wall time on a busy machine. */
  cpuMs: number;
}

/**
 * `run` returns the CPU its child processes used, or nothing when it ran in this process.
 * `prepare` runs before the clock starts (reading bootgate's config is the runner's work, once
 * per boot, not the stage's).
 */
async function timed<T>(run: (out: string, prepared: T) => Promise<number | void>, n: number, prepare?: (out: string) => T): Promise<Sample> {
  const dir = await fresh();
  const out = join(dir, "secrets");
  await mkdir(out);
  const prepared = prepare?.(out) as T;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const childCpuMs = await run(out, prepared);
  const wallMs = performance.now() - t0;
  const own = process.cpuUsage(c0);
  await checkLayout(out, n);
  await rm(dir, { recursive: true, force: true });
  return { wallMs, cpuMs: typeof childCpuMs === "number" ? childCpuMs : (own.user + own.system) / 1000 };
}

/** Runs a command under bash and reads its children's CPU from bash's `times`. */
async function runMeasured(command: string[]): Promise<number> {
  const quoted = command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const { stdout } = await execa("bash", ["-c", `${quoted} >/dev/null 2>&1 || exit 1; times`], { env: { BOOTGATE_CONFIG: "" } });
  const children = stdout.trim().split("\n").pop()!.split(/\s+/);
  const seconds = (t: string) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  return (seconds(children[0]!) + seconds(children[1]!)) * 1000;
}

async function ours(n: number): Promise<Sample> {
  return timed<ReturnType<typeof parseConfigText>>(
    async (_out, config) => {
      await provisionPki(config);
    },
    n,
    (out) =>
      parseConfigText(stringify({ secretsDir: out, stateDir: join(out, "..", "state"), services: services(n) }), { source: "bench", baseDir: out, env: {} }),
  );
}

async function oursCli(n: number): Promise<Sample> {
  return timed(async (out) => {
    const file = join(out, "..", "bootgate.yaml");
    await writeFile(file, stringify({ secretsDir: out, stateDir: join(out, "..", "state"), services: services(n) }));
    // The boot's gates folder is not part of the peers' work; the layout check skips it.
    return runMeasured(["node", join(repo, "bin", "bootgate.js"), "run", "--only", "pki-init", "--config", file]);
  }, n);
}

const script = (name: string) => (n: number) => timed((out) => runMeasured(["bash", join(here, name), String(n), out]), n);

/** Bare key generation and signing in Node: N leaf keys, N signatures, two CA keys (libuv's pool). */
async function floor(n: number): Promise<Sample> {
  const generate = promisify(generateKeyPair);
  const signAsync = promisify(sign);
  const tbs = new Uint8Array(420);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const [ca] = await Promise.all([generate("ec", { namedCurve: "P-256" }), generate("ec", { namedCurve: "P-256" })]);
  await Promise.all(
    Array.from({ length: n }, async () => {
      await generate("ec", { namedCurve: "P-256" });
      await signAsync("sha256", tbs, { key: ca.privateKey, dsaEncoding: "der" });
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    return (await execa(cmd, args)).stdout.split("\n")[0]!;
  } catch {
    throw new Error(`${cmd} is missing: run \`make bench\` (it installs Debian's golang-cfssl) or apt-get install golang-cfssl openssl`);
  }
}

const versions = { node: process.version, cfssl: await tool("cfssl", ["version"]), openssl: await tool("openssl", ["version"]) };
type Column = "floor" | "ours" | "oursCli" | "cfssl" | "openssl";
const results: Record<string, { wallMs: Record<Column, number>; cpuMs: Record<Column, number>; ratios: Record<string, number> }> = {};
// Warm-up: one small run of each, so no column pays for first-use costs the others do not.
await Promise.all([ours(5), floor(5)]);
for (const n of sizes) {
  const runs: Record<Column, Sample[]> = { floor: [], ours: [], oursCli: [], cfssl: [], openssl: [] };
  for (let r = 0; r < rounds; r++) {
    runs.floor.push(await floor(n));
    runs.ours.push(await ours(n));
    runs.oursCli.push(await oursCli(n));
    runs.cfssl.push(await script("cfssl.sh")(n));
    runs.openssl.push(await script("openssl.sh")(n));
  }
  const pick = (k: keyof Sample) => Object.fromEntries(Object.entries(runs).map(([c, v]) => [c, median(v.map((x) => x[k]))])) as Record<Column, number>;
  const wallMs = pick("wallMs");
  const cpuMs = pick("cpuMs");
  results[n] = {
    wallMs,
    cpuMs,
    ratios: {
      cfsslOverOurs: wallMs.cfssl / wallMs.ours,
      cfsslOverOursCli: wallMs.cfssl / wallMs.oursCli,
      opensslOverOurs: wallMs.openssl / wallMs.ours,
      oursOverFloor: wallMs.ours / wallMs.floor,
      cpuCfsslOverOurs: cpuMs.cfssl / cpuMs.ours,
      cpuCfsslOverOursCli: cpuMs.cfssl / cpuMs.oursCli,
    },
  };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const row = (cells: string[], widths: number[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("");
const widths = [5, 11, 13, 10, 10, 12, 16, 11, 18, 16];
const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
const lines = [
  `bench/pki — median of ${rounds} rounds, ECDSA P-256, on ${values.dir}; ${versions.node}, ${versions.cfssl}, ${versions.openssl}; load average ${load}`,
  row(["N", "floor", "pki-init", "CLI", "cfssl", "openssl", "cfssl/pki-init", "cfssl/CLI", "openssl/pki-init", "pki-init/floor"], widths),
];
for (const [label, key] of [
  ["wall ms", "wallMs"],
  ["cpu ms", "cpuMs"],
] as const) {
  lines.push(label);
  for (const [n, r] of Object.entries(results)) {
    const m = r[key];
    const ratio = (a: number, b: number) => fmt(a / b) + "×";
    lines.push(
      row(
        [
          n,
          fmt(m.floor),
          fmt(m.ours),
          fmt(m.oursCli),
          fmt(m.cfssl),
          fmt(m.openssl),
          ratio(m.cfssl, m.ours),
          ratio(m.cfssl, m.oursCli),
          ratio(m.openssl, m.ours),
          ratio(m.ours, m.floor),
        ],
        widths,
      ),
    );
  }
}
console.log(lines.join("\n"));
const resultsDir = join(repo, "bench", "results");
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `pki-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(file, JSON.stringify({ versions, rounds, dir: values.dir, load: Number(load), results }, null, 2) + "\n");
console.log(`written to ${file}`);
