// Leaves only (issue 19): N P-256 leaves (CN and SAN the service name, plus 127.0.0.1; server and
// client auth) from one intermediate that already exists, three ways, in one run:
//   vault    Vault's PKI engine (a real OpenBao, TLS verified by name): `<mount>/issue/<service>`,
//            one role per service, 8 at a time — what pki.issuer: vault and the agent do
//   local    src/pki's issueLeaves with the intermediate in memory — what pki.issuer: local does
//   openssl  the peer: the openssl CLI, genpkey + req + x509 per leaf (bench/pki/openssl-leaves.sh)
//   cfssl    a second peer, only when `cfssl` is installed (`make bench` installs golang-cfssl)
// Every way yields a key and a certificate per service; vault and local keep them in memory,
// the CLIs write files on a tmpfs (they cannot do otherwise). Each leaf is checked: issued by
// the intermediate.
// Usage: node --import tsx bench/pki/issuance.ts [--n 20,200] [--rounds 3] [--dir /dev/shm]   (needs `make bao`)
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { createEphemeralCa } from "../../src/pki/ephemeral-ca.js";
import { issueLeaves } from "../../src/pki/leaf-issue.js";
import { mapLimit } from "../../src/util/map-limit.js";
import { NodeVaultPkiEngine } from "../../src/vault/node-vault-pki-engine.js";
import { inspectVault } from "../../test/support/vault-inspect.js";
import { startVaultStack } from "../../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, saveResult, table } from "../lib.mjs";

const here = import.meta.dirname;
const { values } = parseArgs({
  options: { n: { type: "string", default: "20,200" }, rounds: { type: "string", default: "3" }, dir: { type: "string", default: "/dev/shm" } },
});
const SIZES = values.n.split(",").map(Number);
const ROUNDS = Number(values.rounds);
const MAX = Math.max(...SIZES);
const DAY = 86_400_000;
const VALIDITY_MS = 90 * DAY;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const name = (i: number) => `svc-${i + 1}`;

const cfsslVersion = await execa("cfssl", ["version"]).then(
  (r) => r.stdout.split("\n")[0]!,
  () => undefined,
);
const opensslVersion = (await execa("openssl", ["version"])).stdout.trim();

await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
await using inspector = await inspectVault(stack.config, stack.ikmFile);
const engine = new NodeVaultPkiEngine(inspector.root, stack.config.vault.pkiMount);
await engine.ensureMount(VALIDITY_MS + DAY);
const ca = await createEphemeralCa({
  algorithm: "ecdsa-p256",
  validityMs: VALIDITY_MS + DAY,
  now: new Date(),
  kernelBootId: "bench",
  exportIntermediateKey: true,
});
const rootPem = ca.bundlePem.slice(0, -ca.chainPem.length);
await engine.setDefaultIssuer(await engine.importIssuer(ca.intermediateKeyPem! + ca.chainPem + rootPem, ca.chainPem));
await mapLimit(
  Array.from({ length: MAX }, (_, i) => i),
  8,
  (i) => engine.writeRole({ name: name(i), allowedDomains: [name(i)], allowIpSans: true, keyType: "ec", keyBits: 256, ttlMs: VALIDITY_MS }),
);
const intermediate = new X509Certificate(ca.chainPem);
const checkIssued = (certPem: string, what: string) => {
  if (!new X509Certificate(certPem).checkIssued(intermediate)) throw new Error(`${what}: not issued by the intermediate`);
};

// The CLIs' intermediate key: on a tmpfs, 0600, removed at the end (it is this bench's own CA).
const keyDir = await mkdtemp(join(values.dir, "bootgate-bench-issuance-ca-"));
const intPem = join(keyDir, "int.pem");
const intKey = join(keyDir, "int.key");
await writeFile(intPem, ca.chainPem);
await writeFile(intKey, ca.intermediateKeyPem!, { mode: 0o600 });

async function viaVault(n: number): Promise<number> {
  const t0 = performance.now();
  const leaves = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    8,
    (i) => engine.issue(name(i), { commonName: name(i), altNames: [name(i)], ipSans: ["127.0.0.1"], ttlMs: VALIDITY_MS }),
  );
  const ms = performance.now() - t0;
  leaves.forEach((l, i) => checkIssued(l.certPem, `vault ${name(i)}`));
  return ms;
}

async function viaLocal(n: number): Promise<number> {
  const now = new Date();
  const t0 = performance.now();
  const leaves = await issueLeaves(
    ca,
    Array.from({ length: n }, (_, i) => ({
      service: { name: name(i), dns: [], ip: ["127.0.0.1"] },
      algorithm: "ecdsa-p256" as const,
      validityMs: VALIDITY_MS,
      now,
    })),
  );
  const ms = performance.now() - t0;
  leaves.forEach((l, i) => checkIssued(l.certPem, `local ${name(i)}`));
  return ms;
}

async function viaCli(n: number, run: (out: string) => Promise<unknown>, what: string): Promise<number> {
  const out = await mkdtemp(join(values.dir, `bootgate-bench-issuance-${what}-`));
  try {
    const t0 = performance.now();
    await run(out);
    const ms = performance.now() - t0;
    for (const i of [0, n - 1]) checkIssued(await readFile(join(out, name(i), "cert.pem"), "utf8"), `${what} ${name(i)}`);
    return ms;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const viaOpenssl = (n: number) => viaCli(n, (out) => execa("bash", [join(here, "openssl-leaves.sh"), String(n), out, intPem, intKey]), "openssl");

async function cfsslLeaves(n: number, out: string): Promise<void> {
  const config = join(out, "config.json");
  await writeFile(
    config,
    JSON.stringify({ signing: { profiles: { leaf: { expiry: "2160h", usages: ["digital signature", "server auth", "client auth"] } } } }),
  );
  for (let i = 0; i < n; i++) {
    const s = name(i);
    const csr = join(out, `${s}.json`);
    await writeFile(csr, JSON.stringify({ CN: s, hosts: [s, "127.0.0.1"], key: { algo: "ecdsa", size: 256 } }));
    const { stdout } = await execa("cfssl", ["gencert", "-ca", intPem, "-ca-key", intKey, "-config", config, "-profile", "leaf", csr]);
    const pair = JSON.parse(stdout) as { cert: string; key: string };
    await execa("mkdir", ["-p", join(out, s)]);
    await writeFile(join(out, s, "cert.pem"), pair.cert);
    await writeFile(join(out, s, "key.pem"), pair.key, { mode: 0o600 });
  }
}
const viaCfssl = (n: number) => viaCli(n, (out) => cfsslLeaves(n, out), "cfssl");

type Way = "vault" | "local" | "openssl" | "cfssl";
const results: Record<number, Record<Way, number[]>> = {};
try {
  // Warm-up: the first use of each path pays for things the others do not.
  await viaVault(5);
  await viaLocal(5);
  for (const n of SIZES) {
    const runs: Record<Way, number[]> = { vault: [], local: [], openssl: [], cfssl: [] };
    for (let r = 0; r < ROUNDS; r++) {
      // Interleaved, so the shared machine's load falls on every way alike.
      runs.vault.push(await viaVault(n));
      runs.local.push(await viaLocal(n));
      runs.openssl.push(await viaOpenssl(n));
      if (cfsslVersion) runs.cfssl.push(await viaCfssl(n));
    }
    results[n] = runs;
  }
} finally {
  await rm(keyDir, { recursive: true, force: true });
}

const load = (await import("node:os")).loadavg()[0]!.toFixed(1);
console.log(
  `bench/pki/issuance — leaves only, ECDSA P-256, median of ${ROUNDS}; ${process.version}, ${opensslVersion}, ${cfsslVersion ?? "cfssl not installed (make bench installs golang-cfssl)"}; load ${load}`,
);
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : "-");
const rows = Object.entries(results).map(([n, r]) => {
  const m = Object.fromEntries(Object.entries(r).map(([k, xs]) => [k, xs.length ? median(xs) : NaN])) as Record<Way, number>;
  return [
    n,
    fmt(m.vault),
    fmt(m.local),
    fmt(m.openssl),
    fmt(m.cfssl),
    ratio(m.vault, m.local),
    ratio(m.openssl, m.vault),
    ratio(m.openssl, m.local),
    fmt(m.vault / Number(n)),
    fmt(m.local / Number(n)),
    fmt(m.openssl / Number(n)),
  ];
});
console.log(
  table(
    [
      "N",
      "vault ms",
      "local ms",
      "openssl ms",
      "cfssl ms",
      "vault/local",
      "openssl/vault",
      "openssl/local",
      "vault ms/leaf",
      "local ms/leaf",
      "openssl ms/leaf",
    ],
    rows,
  ),
);
console.log(
  `saved ${saveResult(`pki-issuance-${new Date().toISOString().replace(/[:.]/g, "-")}`, { rounds: ROUNDS, opensslVersion, cfsslVersion: cfsslVersion ?? null, results })}`,
);
