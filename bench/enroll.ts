// Enrollment over the network (issue 15) against a real OpenBao and `bootgate agent`'s enrollment
// API (in-process; the listener, TLS and Vault are real):
//   enroll   N enrollments of one remote service from C concurrent clients, each the whole of
//            `bootgate enroll` minus process start: GET /ca/cert in the clear + pin check, GET
//            /ca/cert over verified HTTPS, key + CSR made here, POST /ca/sign with a one-time
//            token (its one use recorded in Vault), answer checked, three files written.
//   renew    N renewals of those leaves with mutual TLS (the current leaf as proof of identity).
//   peer     the same N with C at a time the way one would without bootgate: `openssl req`
//            (key + CSR) then `bao write pki/sign/<role>` per enrollment, both as processes,
//            with a Vault token in a token-helper file (no CA check, no one-time token).
// Reports wall time and p50/p99 per request, and the ratios against the peer.
// Usage: node --import tsx bench/enroll.ts [--n 100] [--concurrency 10]   (needs `make bao`)
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { startAgent } from "../src/agent/run-agent.js";
import { rootFingerprint } from "../src/enroll/ca-bundle.js";
import { enrollOnce, fetchParameters, fetchTrustedCa, type EnrolledLeaf, type EnrollTarget } from "../src/enroll/enroll-client.js";
import { makeEnrollToken } from "../src/enroll/enroll-token.js";
import { vaultEnrollStore } from "../src/enroll/vault-enroll-store.js";
import { freePort } from "../src/servers/free-port.js";
import { findBaoBinary } from "../src/servers/openbao-process.js";
import { mapLimit } from "../src/util/map-limit.js";
import { loadIdentityKey, withBootgateLogin } from "../src/vault/bootgate-login.js";
import { loginAsBootgate } from "../src/vault/identity.js";
import { vaultClientFor } from "../src/vault/vault-client.js";
import { caBundlePath } from "../src/volume/layout.js";
import { startVaultStack } from "../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, percentile, saveResult, table } from "./lib.mjs";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const N = Number(arg("--n") ?? 100);
const C = Number(arg("--concurrency") ?? 10);
const SERVICE = "edge-logs";

interface Run {
  wallMs: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
}

async function timed(n: number, one: (i: number) => Promise<unknown>): Promise<Run> {
  const each: number[] = [];
  let failures = 0;
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    C,
    async (i) => {
      const t = performance.now();
      try {
        await one(i);
        each.push(performance.now() - t);
      } catch (error) {
        failures++;
        if (failures === 1) console.error(`first failure: ${(error as Error).message}`);
      }
    },
  );
  return { wallMs: performance.now() - t0, p50Ms: percentile(each, 50), p99Ms: percentile(each, 99), failures };
}

const enrollPort = await freePort();
await using stack = await startVaultStack({
  config: {
    services: [{ name: SERVICE, remote: true, dns: ["logs.edge.internal"] }],
    agent: {
      listen: `127.0.0.1:${await freePort()}`,
      // The bench measures the work, not the limiter: both budgets above N.
      enroll: { listen: `127.0.0.1:${enrollPort}`, perAddressPerMinute: 100_000, perServicePerMinute: 100_000 },
    },
  },
});
const { config } = stack;
const abort = new AbortController();
const agentLines: string[] = [];
const agent = await startAgent(config, { signal: abort.signal, log: (l) => agentLines.push(l) });
try {
  const bundle = await readFile(caBundlePath(config.secretsDir), "utf8");
  const fingerprint = rootFingerprint(bundle);
  const target: EnrollTarget = { host: "127.0.0.1", port: enrollPort, serverName: "bootgate" };
  // Tokens are the operator's step before an enrollment, not part of it.
  const tokens = await withBootgateLogin(config, async (admin) => {
    const store = vaultEnrollStore(() => Promise.resolve(admin), config.vault.kvMount);
    const made: string[] = [];
    for (let i = 0; i < N; i++) made.push((await makeEnrollToken(store, SERVICE, 15 * 60_000)).token);
    return made;
  });
  const outDir = (i: number) => join(stack.dir, "enrollees", `e${i}`);

  const leaves: EnrolledLeaf[] = [];
  const enroll = await timed(N, async (i) => {
    const ca = await fetchTrustedCa(target, { fingerprint });
    const params = await fetchParameters(target, ca);
    leaves[i] = await enrollOnce(target, ca, params, { service: SERVICE, names: ["logs.edge.internal"], outDir: outDir(i), credential: { token: tokens[i]! } });
  });
  const ca = await fetchTrustedCa(target, { fingerprint });
  const renew = await timed(N, async (i) => {
    const identity = { certPem: await readFile(join(outDir(i), "cert.pem"), "utf8"), keyPem: await readFile(join(outDir(i), "key.pem"), "utf8") };
    const params = await fetchParameters(target, ca);
    const next = await enrollOnce(target, ca, params, { service: SERVICE, names: ["logs.edge.internal"], outDir: outDir(i), credential: { identity } });
    if (next.serial === leaves[i]?.serial) throw new Error("renewal returned the same serial");
  });

  // The peer: openssl + the bao CLI, with bootgate's Vault login in a token-helper file (0600, on
  // the stack's secrets volume), never argv or env.
  const client = await vaultClientFor(config);
  const login = await loginAsBootgate(client, await loadIdentityKey(config));
  client.close();
  if (!login.ok) throw new Error(`cannot log in as bootgate: ${login.detail}`);
  const home = join(config.secretsDir, "bootgate", "bench-home");
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(join(home, ".vault-token"), login.token, { mode: 0o600 });
  const bao = findBaoBinary();
  const env = { HOME: home, VAULT_ADDR: config.vault.address, VAULT_CACERT: caBundlePath(config.secretsDir), VAULT_TLS_SERVER_NAME: config.vault.service };
  const peerDir = join(config.secretsDir, "bootgate", "bench-peer");
  await mkdir(peerDir, { recursive: true, mode: 0o700 });
  const peer = await timed(N, async (i) => {
    const key = join(peerDir, `p${i}.key`);
    const csr = join(peerDir, `p${i}.csr`);
    await execa(
      "openssl",
      [
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        key,
        "-out",
        csr,
        "-subj",
        `/CN=${SERVICE}`,
        "-addext",
        `subjectAltName=DNS:${SERVICE},DNS:logs.edge.internal`,
      ],
      { stdin: "ignore" },
    );
    const signed = await execa(bao, ["write", "-format=json", `${config.vault.pkiMount}/sign/${SERVICE}`, `csr=@${csr}`, `common_name=${SERVICE}`, "ttl=1h"], {
      env,
      extendEnv: false,
      stdin: "ignore",
    });
    if (!(JSON.parse(signed.stdout) as { data?: { certificate?: string } }).data?.certificate) throw new Error("bao write pki/sign returned no certificate");
  });

  const row = (what: string, r: Run, vsPeer: boolean) => [
    what,
    N,
    C,
    `${fmt(r.wallMs)} ms`,
    `${fmt(r.p50Ms)} ms`,
    `${fmt(r.p99Ms)} ms`,
    r.failures,
    vsPeer ? `${(r.wallMs / peer.wallMs).toFixed(2)}× wall, ${(r.p99Ms / peer.p99Ms).toFixed(2)}× p99` : "-",
  ];
  console.log(
    table(
      ["what", "n", "clients", "wall", "p50", "p99", "failures", "vs openssl+bao"],
      [
        row("bootgate enroll (pin + token)", enroll, true),
        row("renewal (mutual TLS)", renew, true),
        row("peer: openssl req + bao write pki/sign", peer, false),
      ],
    ),
  );
  console.log(`target: ${N} enrollments in under 5 s: ${enroll.wallMs < 5000 ? "met" : "missed"} (${fmt(enroll.wallMs)} ms)`);
  console.log(`saved ${saveResult("enroll", { n: N, concurrency: C, keyAlgorithm: config.pki.keyAlgorithm, enroll, renew, peer })}`);
} finally {
  abort.abort();
  await agent.stopped;
}
