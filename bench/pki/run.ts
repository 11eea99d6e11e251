// bench/pki: root, intermediate and N leaves into per-service folders on a tmpfs, by bootgate's
// pki-init and by its peers doing the same work (cfssl, the openssl CLI), in one run, with the
// ratios; and the floor: bare key generation plus signing in Node, no certificates, no files.
//
//   npx tsx bench/pki/run.ts [--n 20,200] [--rounds 3] [--dir /dev/shm]
//
// Results go to stdout and bench/results/pki-<time>.json. The CLI column runs the built tree
// (`make build` first): a whole `bootgate run --only pki-init` process, as a peer script runs.
import { webcrypto } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
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

async function timed(run: (out: string) => Promise<unknown>, n: number): Promise<number> {
  const dir = await fresh();
  const out = join(dir, "secrets");
  await mkdir(out);
  const t0 = performance.now();
  await run(out);
  const ms = performance.now() - t0;
  await checkLayout(out, n);
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function ours(n: number): Promise<number> {
  return timed(async (out) => {
    const config = parseConfigText(stringify({ secretsDir: out, stateDir: join(out, "..", "state"), services: services(n) }), {
      source: "bench",
      baseDir: out,
      env: {},
    });
    await provisionPki(config);
  }, n);
}

async function oursCli(n: number): Promise<number> {
  return timed(async (out) => {
    const file = join(out, "..", "bootgate.yaml");
    await writeFile(file, stringify({ secretsDir: out, stateDir: join(out, "..", "state"), services: services(n) }));
    await execa("node", [join(repo, "bin", "bootgate.js"), "run", "--only", "pki-init", "--config", file], { env: { BOOTGATE_CONFIG: "" } });
    // The boot's gates folder is not part of the peers' work; it stays out of the layout check.
  }, n);
}

const script = (name: string) => (n: number) => timed((out) => execa("bash", [join(here, name), String(n), out]), n);

/** Bare key generation and signing in Node: N leaf keys, N signatures, two CA keys. */
async function floor(n: number): Promise<number> {
  const alg = { name: "ECDSA", namedCurve: "P-256" };
  const tbs = new Uint8Array(420);
  const t0 = performance.now();
  const [ca] = await Promise.all([webcrypto.subtle.generateKey(alg, false, ["sign"]), webcrypto.subtle.generateKey(alg, false, ["sign"])]);
  await Promise.all(
    Array.from({ length: n }, async () => {
      await webcrypto.subtle.generateKey(alg, true, ["sign"]);
      await webcrypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, (ca as webcrypto.CryptoKeyPair).privateKey, tbs);
    }),
  );
  return performance.now() - t0;
}

async function tool(cmd: string, args: string[]): Promise<string> {
  try {
    return (await execa(cmd, args)).stdout.split("\n")[0]!;
  } catch {
    throw new Error(`${cmd} is missing: run \`make bench\` (it installs Debian's golang-cfssl) or apt-get install golang-cfssl openssl`);
  }
}

const versions = { node: process.version, cfssl: await tool("cfssl", ["version"]), openssl: await tool("openssl", ["version"]) };
const results: Record<string, Record<string, number>> = {};
// Warm-up: one small run of each, so no column pays for first-use costs the others do not.
await Promise.all([ours(5), floor(5)]);
for (const n of sizes) {
  const runs: Record<string, number[]> = { floor: [], ours: [], oursCli: [], cfssl: [], openssl: [] };
  for (let r = 0; r < rounds; r++) {
    runs.floor!.push(await floor(n));
    runs.ours!.push(await ours(n));
    runs.oursCli!.push(await oursCli(n));
    runs.cfssl!.push(await script("cfssl.sh")(n));
    runs.openssl!.push(await script("openssl.sh")(n));
  }
  const m = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  results[n] = {
    ...m,
    cfsslOverOurs: m.cfssl! / m.ours!,
    cfsslOverOursCli: m.cfssl! / m.oursCli!,
    opensslOverOurs: m.openssl! / m.ours!,
    oursOverFloor: m.ours! / m.floor!,
  };
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const lines = [
  `bench/pki — median of ${rounds} rounds, ECDSA P-256, on ${values.dir}; ${versions.node}, ${versions.cfssl}, ${versions.openssl}`,
  "   N   floor ms   pki-init ms   CLI ms   cfssl ms   openssl ms   cfssl/pki-init   cfssl/CLI   openssl/pki-init   pki-init/floor",
  ...Object.entries(results).map(([n, r]) =>
    [n.padStart(4), fmt(r.floor!).padStart(10), fmt(r.ours!).padStart(13), fmt(r.oursCli!).padStart(8), fmt(r.cfssl!).padStart(10), fmt(r.openssl!).padStart(12),
      (fmt(r.cfsslOverOurs!) + "×").padStart(16), (fmt(r.cfsslOverOursCli!) + "×").padStart(11), (fmt(r.opensslOverOurs!) + "×").padStart(18), (fmt(r.oursOverFloor!) + "×").padStart(16)].join(""),
  ),
];
console.log(lines.join("\n"));
const resultsDir = join(repo, "bench", "results");
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `pki-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
await writeFile(file, JSON.stringify({ versions, rounds, dir: values.dir, results }, null, 2) + "\n");
console.log(`written to ${file}`);
