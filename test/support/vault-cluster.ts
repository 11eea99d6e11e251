// A real OpenBao raft cluster for an integration test: certificates for every node from the real
// pki-init (config `vault.cluster.nodes`), one `bao server` per node on free 127.0.0.1 ports, each
// with its own leaf, `retry_join` to the others (verified by their names against the stack's CA)
// and the same static seal; exactly one node self-initializes (src/vault/cluster/initializer.ts).
//
//   await using cluster = await startVaultCluster({ nodes: 3 });
//   await cluster.kill(await cluster.leaderName());
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { freePort } from "../../src/servers/free-port.js";
import { type ClusterNode, initializerNow as clusterInitializer, nodeDataDir, startClusterNode } from "../../src/servers/openbao-cluster.js";
import type { OpenBaoHandle } from "../../src/servers/openbao-process.js";
import { pkiInitStage } from "../../src/stages/pki-init.js";
import { buildStage } from "../../src/stages/registry.js";
import { secretstoreSetupStage } from "../../src/stages/secretstore-setup.js";
import { poll } from "../../src/util/poll.js";
import { createClusterClient, type ClusterClient } from "../../src/vault/cluster/cluster-client.js";
import { writeNodeBootConfigs } from "../../src/vault/cluster/node-boot-config.js";
import { configureAutopilot, readRaftServers, type RaftServer } from "../../src/vault/cluster/raft-state.js";
import { deriveIdentityKey } from "../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../src/vault/identity.js";
import { readIkmFile } from "../../src/vault/ikm.js";
import { caBundlePath } from "../../src/volume/layout.js";
import { collectBoot, gatesCountAsOpen } from "./run-in-boot.js";
import type { StageRun } from "./vault-stack.js";

export interface VaultClusterOptions {
  nodes?: 3 | 5;
  /** More of the config document (services, vault settings); addresses, ikm and folders are the helper's. */
  config?: Record<string, unknown>;
  /** Run secretstore-setup (through the first node's address) before returning; default false. */
  setup?: boolean;
}

interface NodeSlot extends ClusterNode {
  handle: OpenBaoHandle | undefined;
}

export interface VaultCluster extends AsyncDisposable {
  dir: string;
  config: Config;
  ikmFile: string;
  names: string[];
  addresses: string[];
  /**
   * How long the last full start took, in ms: pki-init; every node spawned → one node active and
   * unsealed (sys/health 200); → every node a voter with a leader (autopilot promotes a joined node
   * only after its stabilization time); autopilot's configuration after that.
   */
  timings: { pkiMs: number; activeMs: number; nodesMs: number; autopilotMs: number };
  /** Which node got the `initialize` stanza at the first start. */
  initializer: string | undefined;
  handle(name: string): OpenBaoHandle | undefined;
  /** A client on every node, logged in as bootgate (a fresh login each call). */
  login(options?: { deadlineMs?: number }): Promise<ClusterClient>;
  /** Raft's members as the active node sees them. */
  servers(): Promise<RaftServer[]>;
  /** Waits until raft has `voters` voters (names given: exactly those) and a leader; returns them. */
  waitForVoters(voters: number, timeoutMs?: number, names?: readonly string[]): Promise<RaftServer[]>;
  leaderName(): Promise<string>;
  /** SIGKILL, as a crash or a lost machine would: no shutdown, no leadership handed over. */
  kill(name: string): Promise<void>;
  /** Removes a node's raft storage (an ephemeral node replaced). */
  wipe(name: string): Promise<void>;
  /** Starts a stopped node on its ports; it self-initializes only if no node has storage. */
  start(name: string): Promise<OpenBaoHandle>;
  runSetup(): Promise<StageRun>;
  /** Every node killed and its storage wiped, then a first start again: a fresh cluster (one new self-init). */
  replaceAll(): Promise<void>;
}

const withOutput = (run: Awaited<ReturnType<typeof collectBoot>>): StageRun => ({ ...run, output: run.events.map((e) => JSON.stringify(e)).join("\n") });

export async function startVaultCluster(options: VaultClusterOptions = {}): Promise<VaultCluster> {
  const count = options.nodes ?? 3;
  const dir = await mkdtemp(join(tmpdir(), "bootgate-cluster-"));
  const ikmFile = join(dir, "ikm.hex");
  await writeFile(ikmFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  const doc: Record<string, unknown> = { ...(options.config ?? {}) };
  const services = (doc.services as { name: string }[] | undefined) ?? [{ name: "core-data" }];
  doc.services = services.some((s) => s.name === "vault") ? services : [{ name: "vault" }, ...services];
  doc.secretsDir = join(dir, "secrets");
  doc.stateDir = join(dir, "state");
  const vaultDoc = (doc.vault as Record<string, unknown> | undefined) ?? {};
  const names = Array.from({ length: count }, (_, i) => `vault-${i}`);
  const slots: NodeSlot[] = [];
  for (const name of names) {
    const port = await freePort();
    slots.push({ name, port, clusterPort: await freePort(), apiAddr: `https://127.0.0.1:${port}`, dir: join(dir, name), handle: undefined });
  }
  doc.vault = {
    waitTimeout: "30s",
    ...vaultDoc,
    cluster: { nodes: count, addresses: slots.map((s) => s.apiAddr) },
    address: slots[0]!.apiAddr,
    ikm: { file: ikmFile },
  };
  const configFile = join(dir, "bootgate.yaml");
  const text = stringify(doc);
  await writeFile(configFile, text);
  const config = parseConfigText(text, { source: configFile, baseDir: dir, env: {} });
  await mkdir(config.secretsDir, { recursive: true });
  const caFile = caBundlePath(config.secretsDir);
  const slot = (name: string) => {
    const s = slots.find((x) => x.name === name);
    if (!s) throw new Error(`no cluster node ${name}`);
    return s;
  };
  const dataDir = nodeDataDir;

  const launch = async (s: NodeSlot, initializer: string | undefined, bootConfigs: Map<string, string>) => {
    s.handle = await startClusterNode(s, { config, nodes: slots, initializer, bootConfigs });
    return s.handle;
  };
  const initializerNow = () => clusterInitializer(slots);

  const login = async (options: { deadlineMs?: number } = {}) => {
    const client = createClusterClient({ addresses: slots.map((s) => s.apiAddr), caPem: await readFile(caFile), serverName: config.vault.service, ...options });
    const key = deriveIdentityKey(await readIkmFile(ikmFile, "test"));
    try {
      const result = await client.call("log in as bootgate", (c) => loginAsBootgate(c, key));
      if (!result.ok) throw new Error(`bootgate's login was refused: ${result.detail}`);
      client.setToken(result.token);
      return client;
    } catch (error) {
      client.close();
      throw error;
    }
  };

  let initializer: string | undefined;
  const timings = { pkiMs: NaN, activeMs: NaN, nodesMs: NaN, autopilotMs: NaN };
  const startAll = async () => {
    const t0 = performance.now();
    initializer = await initializerNow();
    const files = await writeNodeBootConfigs(config, initializer);
    await Promise.all(slots.map((s) => launch(s, initializer, files)));
    // sys/health answers 200 only on the active, unsealed node (a standby 429, sealed 503): the follower finds it.
    const health = createClusterClient({
      addresses: slots.map((s) => s.apiAddr),
      caPem: await readFile(caFile),
      serverName: config.vault.service,
      deadlineMs: 60_000,
      roundPauseMs: 50,
    });
    const active = health
      .call("be active and unsealed", (c) => c.api.read("sys/health"))
      .then(() => (timings.activeMs = performance.now() - t0))
      .finally(() => health.close());
    // Autopilot promotes a joiner only once it has been healthy for its stabilization time (10 s
    // by default, autopilot's config comes after this): on a loaded CI machine one joiner stayed
    // a non-voter past 60 s once (ci3), so the first start gets twice that.
    await cluster.waitForVoters(count, 120_000);
    await active;
    const t1 = performance.now();
    timings.nodesMs = t1 - t0;
    const client = await login();
    try {
      await client.call("configure autopilot", (c) => configureAutopilot(c, { minQuorum: count, deadServerAfter: "1m" }));
    } finally {
      client.close();
    }
    timings.autopilotMs = performance.now() - t1;
  };
  const cluster: VaultCluster = {
    dir,
    config,
    ikmFile,
    names,
    timings,
    addresses: slots.map((s) => s.apiAddr),
    get initializer() {
      return initializer;
    },
    handle: (name) => slot(name).handle,
    login: (options) => login(options),
    async servers() {
      const client = await login();
      try {
        return await client.call("read the raft configuration", (c) => readRaftServers(c));
      } finally {
        client.close();
      }
    },
    async waitForVoters(voters, timeoutMs = 60_000, expected) {
      let last = "nothing yet";
      return poll(
        async () => {
          try {
            const servers = await cluster.servers();
            last = JSON.stringify(servers.map((s) => ({ id: s.node_id, voter: s.voter, leader: s.leader })));
            const voting = servers.filter((s) => s.voter);
            const right = expected
              ? voting
                  .map((s) => s.node_id)
                  .sort()
                  .join() === [...expected].sort().join()
              : voting.length === voters;
            return right && servers.length === voters && servers.some((s) => s.leader) ? servers : undefined;
          } catch (error) {
            last = error instanceof Error ? error.message : String(error);
            return undefined;
          }
        },
        { timeoutMs, intervalMs: 250, what: () => `${voters} raft voters and a leader (last seen: ${last})` },
      );
    },
    async leaderName() {
      const leader = (await cluster.servers()).find((s) => s.leader);
      if (!leader) throw new Error("no raft leader");
      return leader.node_id;
    },
    async kill(name) {
      const s = slot(name);
      if (!s.handle) return;
      process.kill(s.handle.pid, "SIGKILL");
      await s.handle.stop();
      s.handle = undefined;
    },
    async wipe(name) {
      await rm(dataDir(slot(name)), { recursive: true, force: true });
    },
    async start(name) {
      const chosen = await initializerNow();
      const files = await writeNodeBootConfigs(config, chosen);
      return launch(slot(name), chosen, files);
    },
    async replaceAll() {
      for (const name of names) {
        await cluster.kill(name);
        await cluster.wipe(name);
      }
      await startAll();
    },
    async runSetup() {
      return withOutput(
        await collectBoot({ config, stages: [await buildStage(secretstoreSetupStage(), config)], boot: "join", waitForGates: gatesCountAsOpen }),
      );
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(slots.map((s) => s.handle?.stop()));
      if (process.env.BOOTGATE_KEEP_CLUSTER_LOGS) {
        for (const s of slots)
          await writeFile(join(process.env.BOOTGATE_KEEP_CLUSTER_LOGS, `${s.name}.log`), await readFile(join(s.dir, "bao.log")).catch(() => ""));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    const p0 = performance.now();
    const pki = await collectBoot({ config, stages: [await buildStage(pkiInitStage(), config)], boot: "begin" });
    timings.pkiMs = performance.now() - p0;
    if (!pki.ok) throw new Error(`startVaultCluster: pki-init failed: ${pki.failures.map((f) => f.message).join("; ")}`);
    await startAll();
    if (options.setup) {
      const setup = await cluster.runSetup();
      if (!setup.ok) throw new Error(`startVaultCluster: secretstore-setup failed: ${setup.failures.map((f) => f.message).join("; ")}`);
    }
  } catch (error) {
    await cluster[Symbol.asyncDispose]();
    throw error;
  }
  return cluster;
}
