// Vault as a raft cluster (issue 16), against real OpenBao processes (the project's launchers, TLS
// verified by name, static seal, self-init), 20 services:
//   boot      first boot to vault-ready with 1, 3 and 5 nodes: every node spawned → raft voters
//             and a leader (1 node: active and unsealed), then secretstore-setup; pki-init apart
//   failover  3 nodes: kill -9 of the leader → the next successful KV write, through bootgate's
//             follower (every node known, the active one followed) vs a peer in the same kill: a
//             client that knows one surviving node and retries it every 50 ms (standby forwarding)
//   snapshot  500 services' secrets (a KV entry each, 3 nodes): `bootgate snapshot save` and
//             `restore` (login, AES-256-GCM envelope, revoke) vs the peer, `bao operator raft
//             snapshot save|restore -force` with a snapshot-only token: time and size. Both are
//             whole CLI processes (bootgate: the built bin/bootgate.js), as an operator runs them
// Usage: node --import tsx bench/vault-cluster.ts [--rounds 3] [--secrets 500]   (needs `make bao`, `make build`)
import { randomBytes } from "node:crypto";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { execa } from "execa";
import { findBaoBinary } from "../src/servers/openbao-process.js";
import { mapLimit } from "../src/util/map-limit.js";
import { sleep } from "../src/util/sleep.js";
import { createVaultClient } from "../src/vault/vault-client.js";
import { vaultClientFor } from "../src/vault/vault-client.js";
import { caBundlePath } from "../src/volume/layout.js";
import { snapshotOperatorToken } from "../test/support/raft-snapshot.js";
import { startVaultCluster, type VaultCluster } from "../test/support/vault-cluster.js";
import { startVaultStack } from "../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, saveResult, table } from "./lib.mjs";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, secrets: { type: "string", default: "500" } } });
const ROUNDS = Number(values.rounds);
const SECRETS = Number(values.secrets);
const SERVICES = Array.from({ length: 20 }, (_, i) => ({ name: `svc-${i}` }));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
// Progress on stderr, the tables on stdout.
const say = (line: string) => process.stderr.write(`vault-cluster bench: ${line}\n`);
const BOOTGATE = join(import.meta.dirname, "..", "bin", "bootgate.js");
const bootgateCli = async (args: string[]) => {
  const run = await execa(process.execPath, [BOOTGATE, ...args], { reject: false });
  if (run.exitCode !== 0) throw new Error(`bootgate ${args[0]} ${args[1]}: exit ${run.exitCode}: ${run.stderr}`);
};

// ---- boot ---------------------------------------------------------------------------------
interface BootTimes {
  nodes: number;
  /** Spawned → one node active and unsealed. */
  activeMs: number;
  /** Spawned → every node a raft voter (1 node: = active). */
  votersMs: number;
  setupMs: number;
  /** active + setup: what a boot waits for before vault-ready opens. */
  readyMs: number;
}

async function bootOneNode(): Promise<BootTimes> {
  await using stack = await startVaultStack({ setup: false, start: false, pki: true, config: { services: SERVICES } });
  const t0 = performance.now();
  await stack.startBao();
  const client = await vaultClientFor(stack.config);
  try {
    for (;;) {
      const health = (await client.api.read("sys/health").catch(() => ({}))) as { sealed?: boolean; standby?: boolean; initialized?: boolean };
      if (health.initialized && health.sealed === false && health.standby === false) break;
      await sleep(20);
    }
  } finally {
    client.close();
  }
  const activeMs = performance.now() - t0;
  const s0 = performance.now();
  const run = await stack.runSetup();
  if (!run.ok) throw new Error(`1 node: secretstore-setup failed: ${run.failures.map((f) => f.message).join("; ")}`);
  const setupMs = performance.now() - s0;
  return { nodes: 1, activeMs, votersMs: activeMs, setupMs, readyMs: activeMs + setupMs };
}

async function bootCluster(nodes: 3 | 5): Promise<BootTimes> {
  await using cluster = await startVaultCluster({ nodes, config: { services: SERVICES } });
  const s0 = performance.now();
  const run = await cluster.runSetup();
  if (!run.ok) throw new Error(`${nodes} nodes: secretstore-setup failed: ${run.failures.map((f) => f.message).join("; ")}`);
  const setupMs = performance.now() - s0;
  const { activeMs, nodesMs: votersMs } = cluster.timings;
  return { nodes, activeMs, votersMs, setupMs, readyMs: activeMs + setupMs };
}

// ---- failover ----------------------------------------------------------------------------
interface FailoverRound {
  leader: string;
  followerMs: number;
  singleNodeMs: number;
  singleNode: string;
}

/** Writes until one succeeds; ms from `t0`. */
async function firstWrite(write: () => Promise<unknown>, t0: number, deadlineMs: number, pauseMs: number): Promise<number> {
  for (;;) {
    try {
      await write();
      return performance.now() - t0;
    } catch (error) {
      if (performance.now() - t0 > deadlineMs) throw error;
      await sleep(pauseMs);
    }
  }
}

async function failoverRound(cluster: VaultCluster): Promise<FailoverRound> {
  const leader = await cluster.leaderName();
  const survivors = cluster.names.filter((n) => n !== leader);
  const singleNode = survivors[0]!;
  const following = await cluster.login({ deadlineMs: 30_000 });
  const token = (following.follower.nodes[0]!.api as unknown as { token: string }).token;
  const single = createVaultClient({
    address: cluster.addresses[cluster.names.indexOf(singleNode)]!,
    caPem: following.follower.nodes[0]!.caPem,
    serverName: cluster.config.vault.service,
    token,
    requestTimeoutMs: 5_000,
  });
  try {
    // Both warm: the follower knows the active node, the single client has its connection. A
    // standby that has just rejoined may not know the leader yet (500 "active cluster node not
    // found"): retried until it does, before the clock starts.
    const w0 = performance.now();
    await firstWrite(() => following.call("warm up", (c) => c.api.write("secret/data/svc-0/failover-follower", { data: { v: "warm" } })), w0, 30_000, 50);
    await firstWrite(() => single.api.write("secret/data/svc-0/failover-single", { data: { v: "warm" } }), w0, 30_000, 50);
    const t0 = performance.now();
    await cluster.kill(leader);
    const [followerMs, singleNodeMs] = await Promise.all([
      firstWrite(() => following.call("write", (c) => c.api.write("secret/data/svc-0/failover-follower", { data: { v: String(t0) } })), t0, 60_000, 0),
      firstWrite(() => single.api.write("secret/data/svc-0/failover-single", { data: { v: String(t0) } }), t0, 60_000, 50),
    ]);
    return { leader, followerMs, singleNodeMs, singleNode };
  } finally {
    single.close();
    following.close();
    await cluster.start(leader);
    await cluster.waitForVoters(3, 60_000, cluster.names);
  }
}

// ---- snapshot ----------------------------------------------------------------------------
interface SnapshotRound {
  bootgateSaveMs: number;
  bootgateRestoreMs: number;
  baoSaveMs: number;
  baoRestoreMs: number;
  bootgateBytes: number;
  baoBytes: number;
}

async function writeSecrets(cluster: VaultCluster, n: number): Promise<void> {
  const client = await cluster.login();
  try {
    await mapLimit(
      Array.from({ length: n }, (_, i) => i),
      16,
      (i) =>
        client.call("write a secret", (c) =>
          c.api.write(`secret/data/svc-${i}/database`, { data: { username: `svc_${i}`, password: randomBytes(24).toString("base64url"), host: "postgres" } }),
        ),
    );
  } finally {
    client.close();
  }
}

async function countSecrets(cluster: VaultCluster, sample: number[]): Promise<number> {
  const client = await cluster.login();
  try {
    const found = await Promise.all(
      sample.map((i) =>
        client
          .call("read", (c) => c.api.read(`secret/data/svc-${i}/database`))
          .then(
            () => 1,
            () => 0,
          ),
      ),
    );
    return found.reduce<number>((a, b) => a + b, 0);
  } finally {
    client.close();
  }
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<number> {
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  say(`${what}: ${fmt(ms)} ms`);
  return ms;
}

async function snapshotRounds(cluster: VaultCluster, rounds: number): Promise<SnapshotRound[]> {
  const configFile = join(cluster.dir, "bootgate.yaml");
  const dir = join(cluster.dir, "bench-snapshots");
  await mkdir(dir, { recursive: true });
  // The peer's token: snapshot paths only, made before the first save so every restore keeps it.
  // The bao CLI reads it from ~/.vault-token: a HOME on the secrets volume, 0700/0600, never argv or env.
  const peerHome = join(cluster.config.secretsDir, "bench-bao-home");
  await mkdir(peerHome, { recursive: true, mode: 0o700 });
  await writeFile(join(peerHome, ".vault-token"), await snapshotOperatorToken(cluster.config, cluster.ikmFile), { mode: 0o600 });
  const bao = findBaoBinary();
  const peerEnv = (address: string) => ({
    HOME: peerHome,
    BAO_ADDR: address,
    BAO_CACERT: caBundlePath(cluster.config.secretsDir),
    BAO_TLS_SERVER_NAME: cluster.config.vault.service,
    PATH: process.env.PATH ?? "",
  });
  const sample = [0, Math.floor(SECRETS / 2), SECRETS - 1];
  const out: SnapshotRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const ours = join(dir, `bootgate-${r}.bgsnap`);
    const theirs = join(dir, `bao-${r}.snap`);
    // The peer is pointed at the leader: the CLI does not look for it.
    const leaderAddress = cluster.addresses[cluster.names.indexOf(await cluster.leaderName())]!;
    const bootgateSaveMs = await timed("bootgate snapshot save", () => bootgateCli(["snapshot", "save", "--out", ours, "--config", configFile]));
    const baoSaveMs = await timed("bao operator raft snapshot save", () =>
      execa(bao, ["operator", "raft", "snapshot", "save", theirs], { env: peerEnv(leaderAddress), extendEnv: false }),
    );
    const bootgateRestoreMs = await timed("bootgate snapshot restore", () => bootgateCli(["snapshot", "restore", ours, "--config", configFile]));
    if ((await countSecrets(cluster, sample)) !== sample.length) throw new Error("secrets missing after bootgate's restore");
    const leaderNow = cluster.addresses[cluster.names.indexOf(await cluster.leaderName())]!;
    const baoRestoreMs = await timed("bao operator raft snapshot restore -force", () =>
      execa(bao, ["operator", "raft", "snapshot", "restore", "-force", theirs], { env: peerEnv(leaderNow), extendEnv: false }),
    );
    if ((await countSecrets(cluster, sample)) !== sample.length) throw new Error("secrets missing after bao's restore");
    out.push({ bootgateSaveMs, bootgateRestoreMs, baoSaveMs, baoRestoreMs, bootgateBytes: (await stat(ours)).size, baoBytes: (await stat(theirs)).size });
  }
  await rm(peerHome, { recursive: true, force: true });
  return out;
}

// ---- run ---------------------------------------------------------------------------------
const boots: BootTimes[] = [];
for (const nodes of [1, 3, 5] as const) {
  say(`first boot, ${nodes} node(s)`);
  boots.push(nodes === 1 ? await bootOneNode() : await bootCluster(nodes));
}

say(`failover and snapshots on 3 nodes (${ROUNDS} rounds)`);
const failovers: FailoverRound[] = [];
let snapshots: SnapshotRound[] = [];
{
  await using cluster = await startVaultCluster({ nodes: 3, setup: true, config: { services: SERVICES } });
  for (let r = 0; r < ROUNDS; r++) {
    const round = await failoverRound(cluster);
    say(`kill -9 ${round.leader}: follower ${fmt(round.followerMs)} ms, single node (${round.singleNode}) ${fmt(round.singleNodeMs)} ms`);
    failovers.push(round);
  }
  const w0 = performance.now();
  await writeSecrets(cluster, SECRETS);
  say(`${SECRETS} secrets written in ${fmt(performance.now() - w0)} ms`);
  snapshots = await snapshotRounds(cluster, ROUNDS);
}

const one = boots[0]!;
console.log(
  `\nFirst boot to vault-ready, ${SERVICES.length} services (ms from spawning the nodes; pki-init not included; vault-ready = active + setup; all voters: autopilot's stabilization wait, which the boot does not wait for)`,
);
console.log(
  table(
    ["nodes", "active+unsealed", "setup", "vault-ready", "vs 1 node", "all voters"],
    boots.map((b) => [b.nodes, fmt(b.activeMs), fmt(b.setupMs), fmt(b.readyMs), ratio(b.readyMs, one.readyMs), fmt(b.votersMs)]),
  ),
);
const fMedian = median(failovers.map((f) => f.followerMs));
const sMedian = median(failovers.map((f) => f.singleNodeMs));
console.log(`\nkill -9 of the leader → next successful write, 3 nodes, ${ROUNDS} rounds (ms)`);
console.log(
  table(
    ["round", "killed", "bootgate follower", "peer: one surviving node", "peer / bootgate"],
    [
      ...failovers.map((f, i) => [i + 1, f.leader, fmt(f.followerMs), `${fmt(f.singleNodeMs)} (${f.singleNode})`, ratio(f.singleNodeMs, f.followerMs)]),
      ["median", "", fmt(fMedian), fmt(sMedian), ratio(sMedian, fMedian)],
    ],
  ),
);
const m = (k: keyof SnapshotRound) => median(snapshots.map((s) => s[k]));
console.log(`\nSnapshot of ${SECRETS} services' secrets, 3 nodes, median of ${ROUNDS} (ms, bytes)`);
console.log(
  table(
    ["", "bootgate", "bao CLI", "bootgate / bao"],
    [
      ["save", fmt(m("bootgateSaveMs")), fmt(m("baoSaveMs")), ratio(m("bootgateSaveMs"), m("baoSaveMs"))],
      ["restore", fmt(m("bootgateRestoreMs")), fmt(m("baoRestoreMs")), ratio(m("bootgateRestoreMs"), m("baoRestoreMs"))],
      ["size", m("bootgateBytes"), m("baoBytes"), ratio(m("bootgateBytes"), m("baoBytes"))],
    ],
  ),
);
const file = saveResult(`vault-cluster-${new Date().toISOString().replace(/[:.]/g, "-")}`, {
  services: SERVICES.length,
  secrets: SECRETS,
  rounds: ROUNDS,
  boots,
  failovers,
  snapshots,
});
console.log(`\nsaved ${file}`);
