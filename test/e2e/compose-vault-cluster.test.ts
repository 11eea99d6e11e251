// Vault as a 3-node raft cluster in docker compose (issue 16): compose/compose.sh with
// compose/vault-cluster.yml (and, in subpath mode, compose/vault-cluster.subpath.yml, which
// compose.sh adds by itself). One stack for the file: the first boot (exactly one node
// initializes; three voters, one leader; the example services served through the gateway), a
// reboot with vault-0's storage volume removed (bootgate, not the node, decides who initializes:
// vault-0 rejoins the same cluster, the services' data is still there), a reboot with both the
// recorded cluster and vault-0's storage removed (the node asks its peers and joins), and `down -v`.
import { randomBytes } from "node:crypto";
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/servers/free-port.js";
import {
  composeCommand,
  composeMode,
  type ComposeMode,
  composeProject,
  type ComposeProject,
  docker,
  downLeftovers,
  runScript,
  upSettled,
  volumeMountpoint,
  waitFor,
} from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";

const NODES = ["vault-0", "vault-1", "vault-2"];
/** Every container that runs for the life of the stack and has a health check: the nodes, the other services and the agent. */
const LONG_RUNNING = [...NODES, "postgres", "gateway", "core-data", "core-metadata", "agent"];
const CONFIG = "/etc/bootgate/bootgate.yaml";

let project: ComposeProject;
let mode: ComposeMode;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build.sh", 900_000);
  const command = await composeCommand();
  mode = await composeMode();
  project = composeProject(command, `bgclu${process.pid}${randomBytes(3).toString("hex")}`, await freePort(), {}, ["compose/vault-cluster.yml"]);
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const volumePath = (volume: string) => volumeMountpoint(project, volume);
const secretFile = async (rel: string) => readFileSync(join(await volumePath("secrets"), rel), "utf8");
const logsOf = (service: string) => project.run(["logs", "--no-color", service], 60_000);
/** The services whose leaf the agent keeps without a failure, from its state file (compose's agent reads init's config). */
async function agentKeeps(services: string[]): Promise<true | undefined> {
  const state = JSON.parse(await secretFile("bootgate/agent-state.json")) as {
    items: { kind: string; service: string; failing: number; expiresAt?: string }[];
  };
  const kept = state.items.filter((i) => i.kind === "certificate" && services.includes(i.service) && i.failing === 0 && i.expiresAt !== undefined);
  return kept.length === services.length ? true : undefined;
}
/** The cluster bootgate recorded on the keyring volume at its first initialization. */
const recordedCluster = async () =>
  (JSON.parse(readFileSync(join(await volumePath("keyring"), "vault/cluster.json"), "utf8")) as { clusterId: string }).clusterId;

/** Each node's own answer (bao status, verified by its name against the stack's CA): sealed, cluster id. */
async function nodeStatus(node: string): Promise<{ sealed: boolean; initialized: boolean; cluster_id?: string }> {
  const r = await project.exec(node, ["bao", "status", "-format=json", `-address=https://${node}:8200`, "-ca-cert=/secrets/ca/ca.pem"]);
  // 0: unsealed, 2: sealed; the JSON is printed either way.
  if (r.exitCode !== 0 && r.exitCode !== 2) throw new Error(`bao status in ${node} exited ${r.exitCode}: ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout) as { sealed: boolean; initialized: boolean; cluster_id?: string };
}

interface NodeRow {
  name: string;
  reachable: boolean;
  sealed?: boolean;
  voter?: boolean;
  leader?: boolean;
}

/** `bootgate status --json` in a one-off init container (only there are the nodes' names and the IKM). */
async function clusterRows(): Promise<NodeRow[]> {
  const out = await project.run(["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "status", "--json", "--config", CONFIG], 120_000);
  const status = JSON.parse(out) as { vaultNodes?: { nodes: NodeRow[] } };
  if (!status.vaultNodes) throw new Error(`status has no vaultNodes section: ${out.slice(0, 500)}`);
  return status.vaultNodes.nodes;
}

/** Three reachable, unsealed voters, one of them leader (autopilot promotes a joiner after its stabilization time). */
const threeVotersOneLeader = () =>
  waitFor("three unsealed voters and one leader in bootgate status", 120_000, async () => {
    const rows = await clusterRows();
    const ok = rows.length === 3 && rows.every((r) => r.reachable && r.sealed === false && r.voter === true) && rows.filter((r) => r.leader).length === 1;
    return ok ? rows : undefined;
  });

/** up -d; init exits 0; every long-running container running and healthy; the gateway answers. */
async function boot(): Promise<string> {
  const states = await upSettled(project, LONG_RUNNING);
  // The base file's single `vault` does not run beside the cluster.
  expect(states.map((s) => s.service).sort()).toEqual([...LONG_RUNNING, "holder", "init"].sort());
  const ca = await secretFile("ca/ca.pem");
  await waitFor(`the gateway on 127.0.0.1:${project.gatewayPort}`, 60_000, async () =>
    (await gatewayGet(ca, project.gatewayPort, "/core-data/")).status === 401 ? true : undefined,
  );
  return ca;
}

async function expectRoutesServed(ca: string, user: string) {
  const jwt = (
    await project.run(["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "token", user, "--config", CONFIG], 120_000)
  ).trim();
  for (const service of ["core-data", "core-metadata"]) {
    const res = await gatewayGet(ca, project.gatewayPort, `/${service}/hello`, jwt);
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ service, caller: "gateway", db: { role: service.replace("-", "_"), ssl: true } });
  }
}

/** What each node's entry said it does at this start: "initializes" or "joins". */
async function nodeRoles(): Promise<Record<string, string>> {
  const roles: Record<string, string> = {};
  for (const node of NODES) {
    const log = await logsOf(node);
    roles[node] = [...log.matchAll(/vault-node: \S+ (initializes|joins) the cluster/g)].map((m) => m[1]).join(",");
  }
  return roles;
}

describe("Vault as a 3-node cluster in docker compose", () => {
  let clusterId: string;

  it("should boot with exactly one node initializing, three unsealed voters and one leader, and serve the example services", async () => {
    const ca = await boot();
    expect(await nodeRoles()).toEqual({ "vault-0": "initializes", "vault-1": "joins", "vault-2": "joins" });
    // vault-0 had the stanza on empty storage, asked its peers first, and both said "not initialized"
    // (they start at the same gate): a true first boot does not sit out the peer check's bound.
    expect(await logsOf("vault-0")).toMatch(/vault-0 initializes the cluster \(vault-1 uninitialized, vault-2 uninitialized\)/);
    const init = await logsOf("init");
    expect(init).toMatch(/vault-0 initializes the Vault cluster/);
    // "initialized" beside it only when the node asked first had not self-initialized yet: timing.
    expect(init).toMatch(/secretstore-setup .*cluster recorded/);
    clusterId = await recordedCluster();
    for (const node of NODES) expect(await nodeStatus(node), node).toMatchObject({ initialized: true, sealed: false, cluster_id: clusterId });
    await threeVotersOneLeader();
    await expectRoutesServed(ca, "alice");
    // The agent runs on the cluster's config: it keeps every node's leaf (with the base one it would know none).
    await waitFor("the agent to keep each node's leaf", 60_000, () => agentKeeps(NODES));
    // Each node reloads through its waiter (-r HUP -w /secrets/vault-N), the signal reaching bao
    // itself (the sh before it execs bao traps HUP): a watched file of vault-1 changed on the host
    // gives one more reload there (its token.json written after it started gave the first ones).
    const reloads = async () => ((await logsOf("vault-1")).match(/OpenBao reload triggered/g) ?? []).length;
    const before = await reloads();
    appendFileSync(join(await volumePath("secrets"), "vault-1/token.json"), " ");
    await waitFor("vault-1's waiter to signal bao once more", 30_000, async () => ((await reloads()) > before ? true : undefined));
    expect(await nodeStatus("vault-1")).toMatchObject({ sealed: false, cluster_id: clusterId });
    // Each node's boot config in its own folder; in subpath mode a node sees no other node's folder.
    expect(JSON.parse(await secretFile("vault-0/openbao.json"))).toHaveProperty("initialize");
    expect(JSON.parse(await secretFile("vault-1/openbao.json"))).not.toHaveProperty("initialize");
    if (mode === "subpath")
      expect((await project.exec("vault-1", ["ls", "-A", "/secrets"])).stdout.trim().split("\n").sort()).toEqual([".gates", "ca", "vault", "vault-1"]);
  });

  it("should rerun secretstore-setup with one node's container stopped (its name gone from Docker's DNS): the others serve it and vault-ready skips that node", async () => {
    await project.run(["stop", "-t", "10", "vault-2"], 120_000);
    const out = await project.run(
      ["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "run", "--only", "secretstore-setup", "--config", CONFIG],
      240_000,
      "all",
    );
    expect(out).toMatch(/✓ secretstore-setup .*→ vault-ready/);
    expect(out).toMatch(/vault node vault-2 does not answer \(.+\): vault-ready opens without it/);
    for (const node of ["vault-0", "vault-1"]) expect(await nodeStatus(node), node).toMatchObject({ initialized: true, sealed: false, cluster_id: clusterId });
  });

  it("should come back after a reboot with vault-0's storage volume removed: vault-0 rejoins the same cluster, nothing is initialized twice", async () => {
    await project.run(["down", "-t", "20"], 300_000);
    await docker(["volume", "rm", `${project.name}_vault-data-0`]);
    const ca = await boot();
    // No node got the stanza: the cluster was recorded, so vault-0's empty storage joins.
    expect(await nodeRoles()).toEqual({ "vault-0": "joins", "vault-1": "joins", "vault-2": "joins" });
    const init = await logsOf("init");
    expect(init).not.toMatch(/initializes the Vault cluster/);
    expect(init).not.toMatch(/secretstore-setup .*(initialized|cluster recorded)/);
    expect(JSON.parse(await secretFile("vault-0/openbao.json"))).not.toHaveProperty("initialize");
    expect(await recordedCluster()).toBe(clusterId);
    for (const node of NODES) expect(await nodeStatus(node), node).toMatchObject({ initialized: true, sealed: false, cluster_id: clusterId });
    await threeVotersOneLeader();
    // The services log in with the database credentials kept in Vault since the first boot.
    await expectRoutesServed(ca, "bob");
  });

  // A crash after the cluster's self-initialization but before secretstore-setup recorded it,
  // then vault-0's volume lost: pki-init hands vault-0 the stanza again, on empty storage.
  // Only the node can see that its peers hold a cluster (compose/entry/vault-peers.mjs).
  it("should come back with both cluster.json and vault-0's storage removed: vault-0 asks its peers, drops the stanza and joins the same cluster", async () => {
    await project.run(["down", "-t", "20"], 300_000);
    rmSync(join(await volumePath("keyring"), "vault/cluster.json"));
    await docker(["volume", "rm", `${project.name}_vault-data-0`]);
    const ca = await boot();
    // bootgate's plan had vault-0 initialize (nothing recorded), and its boot config had the stanza...
    expect(await logsOf("init")).toMatch(/vault-0 initializes the Vault cluster \(no cluster recorded yet\)/);
    expect(JSON.parse(await secretFile("vault-0/openbao.json"))).toHaveProperty("initialize");
    // ...but vault-0 found an initialized peer and joined instead: nobody initialized.
    expect(await nodeRoles()).toEqual({ "vault-0": "joins", "vault-1": "joins", "vault-2": "joins" });
    const vault0 = await logsOf("vault-0");
    expect(vault0).toMatch(/vault-node: vault-0 has the initialize stanza on empty storage: asking vault-1, vault-2/);
    expect(vault0).toMatch(/vault-node: vault-0 joins the cluster \(.*initialized.*the initialize stanza is dropped/);
    // The same cluster recorded again, one cluster on every node.
    expect(await logsOf("init")).toMatch(/secretstore-setup .*cluster recorded/);
    expect(await recordedCluster()).toBe(clusterId);
    for (const node of NODES) expect(await nodeStatus(node), node).toMatchObject({ initialized: true, sealed: false, cluster_id: clusterId });
    await threeVotersOneLeader();
    await expectRoutesServed(ca, "carol");
  });

  it("should leave no container, volume or network behind after down -v", async () => {
    expect(await downLeftovers(project)).toEqual({ containers: "", volumes: "", networks: "" });
  });
});
