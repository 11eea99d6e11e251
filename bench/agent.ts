// `bootgate agent` against a real OpenBao (Vault's PKI engine as the issuer), for 20 and 500
// services:
//   idle      the agent as its own process (`bin/bootgate.js agent`), every leaf and token valid:
//             CPU over a quiet window scaled to an hour, RSS at the end and its peak (VmHWM).
//             Peer: a bare `node` that only keeps a timer (the floor of any Node daemon).
//   renew     every leaf due at once when the agent starts (renewBefore set so the boot's leaves
//             are due and the renewed ones are not): wall time until all are renewed through
//             Vault, and failed tries. Peer: the same issues straight to `pki/issue/<role>` with
//             the same concurrency, writing nothing (the floor of the work).
// Usage: node --import tsx bench/agent.ts [--sizes 20,500] [--idle-s 60]   (needs `make bao`)
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startAgent } from "../src/agent/run-agent.js";
import type { Config } from "../src/config/normalize.js";
import { freePort } from "../src/servers/free-port.js";
import { loginAsBootgate } from "../src/vault/identity.js";
import { deriveIdentityKey } from "../src/vault/derived-keys.js";
import { loadIkm } from "../src/vault/ikm.js";
import { vaultClientFor } from "../src/vault/vault-client.js";
import { mapLimit } from "../src/util/map-limit.js";
import { caBundlePath } from "../src/volume/layout.js";
import { startVaultStack } from "../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, ROOT, saveResult, table } from "./lib.mjs";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg("--sizes") ?? "20,500").split(",").map(Number);
const IDLE_S = Number(arg("--idle-s") ?? 60);
const TICKS = 100; // USER_HZ on Linux
/** Vault backdates notBefore by 30 s; a renewed leaf falls due this long after its issue. */
const RENEWED_DUE_S = 20;

async function procStats(pid: number): Promise<{ cpuS: number; rssMb: number; hwmMb: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const cpuS = (Number(fields[11]) + Number(fields[12])) / TICKS;
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? NaN);
  return { cpuS, rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

function healthz(port: number, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", ca, servername: "bootgate", agent: false, timeout: 3_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** Idle CPU (s/hour) and RSS of a process over the window, after it settled. */
async function idleOf(pid: number): Promise<{ cpuSPerHour: number; rssMb: number; hwmMb: number }> {
  const a = await procStats(pid);
  await sleep(IDLE_S * 1000);
  const b = await procStats(pid);
  return { cpuSPerHour: ((b.cpuS - a.cpuS) * 3600) / IDLE_S, rssMb: b.rssMb, hwmMb: b.hwmMb };
}

async function idleAgent(config: Config, configFile: string, port: number) {
  const child = spawn(process.execPath, [join(ROOT, "bin/bootgate.js"), "agent", "--config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  try {
    const ca = await readFile(caBundlePath(config.secretsDir), "utf8");
    const t0 = Date.now();
    while ((await healthz(port, ca)) !== 200) {
      if (Date.now() - t0 > 120_000 || child.exitCode !== null) throw new Error(`agent not healthy: ${stderr}`);
      await sleep(200);
    }
    await sleep(5_000);
    return await idleOf(child.pid!);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

async function idlePeer() {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1 << 30)"], { stdio: "ignore" });
  try {
    await sleep(1_000);
    return await idleOf(child.pid!);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
  }
}

async function renewAll(config: Config, leaves: number) {
  // The boot's leaves were issued more than RENEWED_DUE_S ago: all due now, the renewed ones not for RENEWED_DUE_S.
  const due: Config = { ...config, pki: { ...config.pki, renewBeforeMs: config.pki.validityMs - RENEWED_DUE_S * 1000 } };
  const abort = new AbortController();
  const t0 = Date.now();
  const agent = await startAgent(due, { signal: abort.signal, log: () => {} });
  const certs = () => [...agent.state.items.values()].filter((i) => i.kind === "certificate");
  while (!(certs().length >= leaves && certs().every((i) => (i.renewedAt ?? 0) >= t0))) {
    if (Date.now() - t0 > 120_000) throw new Error(`not all renewed: ${certs().filter((i) => !i.renewedAt).length} left`);
    await sleep(10);
  }
  const ms = Math.max(...certs().map((i) => i.renewedAt!)) - t0;
  const failures = certs().reduce((s, i) => s + i.failuresTotal, 0);
  abort.abort();
  await agent.stopped;
  return { ms, failures, renewed: certs().length };
}

async function issuePeer(config: Config, n: number) {
  const ikm = await loadIkm(config);
  const key = deriveIdentityKey(ikm);
  const anonymous = await vaultClientFor(config);
  const login = await loginAsBootgate(anonymous, key);
  anonymous.close();
  if (!login.ok) throw new Error(login.detail);
  const client = await vaultClientFor(config, login.token);
  const t0 = performance.now();
  await mapLimit(
    Array.from({ length: n }, (_, i) => `svc-${i}`),
    16,
    (name) => client.api.write(`pki/issue/${name}`, { common_name: name, ttl: "1h", private_key_format: "pkcs8" }),
  );
  const ms = performance.now() - t0;
  client.close();
  return ms;
}

const rows: (string | number)[][] = [];
const results: Record<string, unknown>[] = [];
for (const n of SIZES) {
  const port = await freePort();
  const services = Array.from({ length: n }, (_, i) => ({ name: `svc-${i}` }));
  await using stack = await startVaultStack({ config: { services, agent: { listen: `127.0.0.1:${port}` } } });
  if (stack.config.pki.issuer !== "vault") throw new Error("expected pki.issuer vault");
  const configFile = join(stack.dir, "bootgate.yaml");
  const idle = await idleAgent(stack.config, configFile, port);
  const floor = await idlePeer();
  // The leaves came from secretstore-setup at least IDLE_S ago: all of them are due for `renew`.
  const renew = await renewAll(stack.config, n + 2);
  const peerMs = await issuePeer(stack.config, n);
  rows.push(
    [
      n,
      "idle agent",
      `${idle.cpuSPerHour.toFixed(1)} s/h`,
      `${idle.rssMb.toFixed(1)} MB`,
      `${idle.hwmMb.toFixed(1)} MB`,
      `node floor ${floor.rssMb.toFixed(1)} MB, ${floor.cpuSPerHour.toFixed(1)} s/h`,
      `${(idle.rssMb / floor.rssMb).toFixed(2)}× RSS`,
    ],
    [
      n,
      "renew all leaves",
      `${fmt(renew.ms)} ms`,
      `${renew.renewed} leaves`,
      `${renew.failures} failures`,
      `bare pki/issue ×${n}: ${fmt(peerMs)} ms`,
      `${(renew.ms / peerMs).toFixed(2)}×`,
    ],
  );
  results.push({ services: n, idle, floor, renew, issuePeerMs: peerMs, idleWindowS: IDLE_S });
}
console.log(table(["services", "what", "time / CPU", "RSS / count", "peak / failures", "peer", "ratio"], rows));
console.log(`saved ${saveResult("agent", { results })}`);
