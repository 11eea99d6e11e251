// `bootgate up --local` with vault.cluster.nodes: 3: three OpenBao nodes on loopback (vault.address's
// port, +2, +4), one self-init, all unsealed voters, the whole boot through to the gateway; a kill -9
// of `up` leaves no node running (its watchdog stops what the record lists); the next `up` brings
// the same cluster back (no second init) and SIGINT stops it all.
import { readFileSync, writeFileSync, chmodSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EMBEDDED_DEFAULT_YAML } from "../../src/config/embedded-default.js";
import { freePort } from "../../src/servers/free-port.js";
import { createClusterClient } from "../../src/vault/cluster/cluster-client.js";
import { readRaftServers } from "../../src/vault/cluster/raft-state.js";
import { deriveIdentityKey } from "../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../src/vault/identity.js";
import { readIkmFile } from "../../src/vault/ikm.js";
import { readSealStatus } from "../../src/vault/seal-status.js";
import { createVaultClient } from "../../src/vault/vault-client.js";
import { caBundlePath } from "../../src/volume/layout.js";
import { gatewayGet, pickPorts, processesMentioning, stackEnv, startUp, type StackPorts, type UpRun } from "../support/local-stack.js";
import { leftAfter, recordedProcesses } from "../support/stack-leftovers.js";
import { tempDir } from "../support/tmp-dir.js";
import { BOOTGATE_BIN } from "../support/waiters.js";
import { execFileSync } from "node:child_process";
import { poll } from "../../src/util/poll.js";

const dirHandle = await tempDir("bootgate-up-cluster-");
const dir = dirHandle.path;
chmodSync(dir, 0o711);
const stateDir = join(dir, "state");
const secretsDir = join(dir, "secrets-volume");
const configFile = join(dir, "bootgate.yaml");
writeFileSync(configFile, EMBEDDED_DEFAULT_YAML.replace("vault:\n", "vault:\n  cluster: { nodes: 3 }\n"));
const env = { BOOTGATE_CONFIG: configFile };
let ports: StackPorts;
let running: UpRun | undefined;

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGINT");
    await running.exited;
  }
  await leftAfter(dir, [], secretsDir, 30_000);
  await dirHandle[Symbol.asyncDispose]();
});

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });

/** Six free ports in a row: three nodes, each with its cluster port next to it. */
async function nodePorts(avoid: number[]): Promise<number> {
  for (;;) {
    const base = await freePort();
    if (base > 64_000) continue;
    const block = Array.from({ length: 6 }, (_, i) => base + i);
    if (block.some((p) => avoid.includes(p))) continue;
    if ((await Promise.all(block.map(isFree))).every(Boolean)) return base;
  }
}

const summaryOf = (run: UpRun, stage: string) => String(run.events.find((e) => e.type === "stage-done" && e.stage === stage)?.summary ?? "");
const nodeAddresses = () => [0, 2, 4].map((i) => `https://127.0.0.1:${ports.vault + i}`);
const token = (user: string) =>
  execFileSync(process.execPath, [BOOTGATE_BIN, "token", user], { cwd: dir, env: { ...stackEnv(ports), ...env }, encoding: "utf8" }).trim();

/** The cluster once every node is an unsealed voter (they join a few seconds after the first is active). */
async function settledCluster(timeoutMs = 90_000) {
  let last: unknown = "nothing yet";
  return poll(
    async () => {
      try {
        const state = await clusterState();
        last = state;
        const voters = state.servers.filter((s) => s.voter).length;
        return voters === 3 && state.seal.every((s) => s.initialized && !s.sealed) ? state : undefined;
      } catch (error) {
        last = (error as Error).message;
        return undefined;
      }
    },
    { timeoutMs, intervalMs: 500, what: () => `3 unsealed voters (last: ${JSON.stringify(last)})` },
  );
}

async function clusterState() {
  const caPem = readFileSync(caBundlePath(secretsDir));
  const seal = await Promise.all(
    nodeAddresses().map(async (address, i) => {
      // Each node by its own name: its own leaf, from pki-init.
      const client = createVaultClient({ address, caPem, serverName: `vault-${i}` });
      try {
        return await readSealStatus(client);
      } finally {
        client.close();
      }
    }),
  );
  const cluster = createClusterClient({ addresses: nodeAddresses(), caPem, serverName: "vault" });
  try {
    const key = deriveIdentityKey(await readIkmFile(join(stateDir, "ikm.hex"), "test"));
    const login = await cluster.call("log in", (c) => loginAsBootgate(c, key));
    if (!login.ok) throw new Error(`bootgate's login refused: ${login.detail}`);
    cluster.setToken(login.token);
    return { seal, servers: await cluster.call("raft configuration", (c) => readRaftServers(c)) };
  } finally {
    cluster.close();
  }
}

describe("bootgate up --local on a 3-node Vault cluster", () => {
  it("should start three nodes, initialize one, unseal all and complete the boot through to the gateway", async () => {
    const others = await pickPorts();
    ports = { ...others, vault: await nodePorts([others.postgres, others.gateway, others.examples, others.examples + 1]) };
    running = startUp(dir, ports, [], env);
    await running.ready;
    for (const stage of ["pki-init", "secretstore-setup", "db-seed", "gateway-cert", "proxy-setup"]) {
      expect(
        running.events.some((e) => e.type === "stage-done" && e.stage === stage),
        `${stage} finished`,
      ).toBe(true);
    }
    // The stages need only the active node: the others may still be joining when the boot is done.
    // Only the first node was given the initialize stanza.
    const bootConfigs = [0, 1, 2].map((i) => JSON.parse(readFileSync(join(secretsDir, `vault-${i}`, "openbao.json"), "utf8")) as object);
    expect(bootConfigs.map((c) => "initialize" in c)).toEqual([true, false, false]);
    const { seal, servers } = await settledCluster();
    expect(seal.map((s) => [s.initialized, s.sealed])).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
    expect(servers.map((s) => s.node_id).sort()).toEqual(["vault-0", "vault-1", "vault-2"]);
    expect(servers.every((s) => s.voter)).toBe(true);
    expect(servers.filter((s) => s.leader)).toHaveLength(1);
    const recorded = recordedProcesses(stateDir).filter((p) => p.name === "openbao");
    expect(recorded).toHaveLength(3);
    const res = await gatewayGet(readFileSync(caBundlePath(secretsDir), "utf8"), ports.gateway, "/core-data/hello", token("alice"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ service: "core-data", db: { role: "core_data", ssl: true } });
  });

  it("should leave no node running after a kill -9 of up (its watchdog stops what the record lists)", async () => {
    const recorded = recordedProcesses(stateDir);
    expect(recorded.filter((p) => p.name === "openbao")).toHaveLength(3);
    running!.child.kill("SIGKILL");
    await running!.exited;
    expect(await leftAfter(dir, recorded, secretsDir, 30_000)).toEqual([]);
  });

  it("should bring the same cluster back on the next up (no second init) and stop it all on SIGINT", async () => {
    running = startUp(dir, ports, [], env);
    await running.ready;
    const setup = summaryOf(running, "secretstore-setup");
    expect(setup).not.toContain("initialized");
    expect(summaryOf(running, "db-seed")).toMatch(/0 created/);
    const { seal, servers } = await settledCluster();
    expect(seal.every((s) => s.initialized && !s.sealed)).toBe(true);
    expect(servers.filter((s) => s.voter)).toHaveLength(3);
    running.child.kill("SIGINT");
    expect(await running.exited).toBe(130);
    expect(processesMentioning(dir)).toEqual([]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(secretsDir);
  });
});
