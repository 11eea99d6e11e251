// Both compose overrides at once: compose/vault-cluster.yml and compose/checklist.yml (and, in
// subpath mode, both companions, which compose.sh adds by itself). Each override used to replace
// the other's part — the cluster's holder command dropped the checklist's folders, and each
// mounted its own config over init's. One boot: init exits 0, every container of both runs
// healthy, the three nodes are one cluster, the checklist's Django app answers through the
// gateway with its PostgreSQL row and Vault value (its certificate login through the `vault`
// alias, any node), the base services too, and the agent keeps every node's and checklist
// service's leaf; then `down -v` leaves nothing. The files' combination without containers:
// test/e2e/compose-overrides.test.ts.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/servers/free-port.js";
import {
  composeCommand,
  composeMode,
  type ComposeMode,
  composeProject,
  type ComposeProject,
  downLeftovers,
  REPO,
  runScript,
  upSettled,
  volumeMountpoint,
  waitFor,
} from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";

const NODES = ["vault-0", "vault-1", "vault-2"];
const CHECKLIST = ["web-app", "log-shipper", "log-collector"];
const LONG_RUNNING = [...NODES, "postgres", "gateway", "core-data", "core-metadata", "agent", ...CHECKLIST];
const CONFIG = "/etc/bootgate/bootgate.yaml";
const PROBE = readFileSync(resolve(REPO, "test/support/checklist_probe.py"), "utf8");
const note = `note ${randomBytes(4).toString("hex")}`;
const greeting = `hello from Vault ${randomBytes(4).toString("hex")}`;

let project: ComposeProject;
let mode: ComposeMode;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build-checklist.sh", 900_000);
  const command = await composeCommand();
  mode = await composeMode();
  project = composeProject(command, `bgchclu${process.pid}${randomBytes(3).toString("hex")}`, await freePort(), {}, [
    "compose/vault-cluster.yml",
    "compose/checklist.yml",
  ]);
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const volumePath = (volume: string) => volumeMountpoint(project, volume);
const secretFile = async (rel: string) => readFileSync(join(await volumePath("secrets"), rel), "utf8");
const logsOf = (service: string) => project.run(["logs", "--no-color", service], 60_000);
const bootgate = (args: string[]) =>
  project.run(["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", ...args, "--config", CONFIG], 120_000);

async function probe(service: string, input: Record<string, unknown>): Promise<{ ok: boolean; error?: string; data?: Record<string, string | number> }> {
  const r = await project.exec(service, ["python3", "-c", PROBE], { input: JSON.stringify(input) });
  if (r.exitCode !== 0) throw new Error(`checklist_probe.py in ${service} failed (${r.exitCode}): ${r.stderr.slice(-1500)}`);
  return JSON.parse(r.stdout) as { ok: boolean; error?: string; data?: Record<string, string | number> };
}
const own = (service: string) => ({ cert: `/secrets/${service}/cert.pem`, key: `/secrets/${service}/key.pem`, ca: `/secrets/${service}/ca.pem` });
const vaultKv = (path: string, data?: Record<string, unknown>) =>
  probe("web-app", { op: "vault-kv", url: "https://vault:8200", role: "web-app", path, ...own("web-app"), ...(data ? { data } : {}) });

describe("the cluster and checklist overrides together in docker compose", () => {
  it("should boot every container of both healthy, one cluster of three nodes, and serve Django and the example services", async () => {
    const states = await upSettled(project, LONG_RUNNING);
    expect(states.map((s) => s.service).sort()).toEqual([...LONG_RUNNING, "holder", "init"].sort());

    // One cluster: the id bootgate recorded, on every node.
    const clusterId = (JSON.parse(readFileSync(join(await volumePath("keyring"), "vault/cluster.json"), "utf8")) as { clusterId: string }).clusterId;
    for (const node of NODES) {
      const r = await project.exec(node, ["bao", "status", "-format=json", `-address=https://${node}:8200`, "-ca-cert=/secrets/ca/ca.pem"]);
      expect(JSON.parse(r.stdout), node).toMatchObject({ initialized: true, sealed: false, cluster_id: clusterId });
    }
    // In subpath mode every container sees its own folder only: the holder made both overrides' folders.
    if (mode === "subpath")
      for (const service of ["vault-1", "web-app", "log-collector"])
        expect((await project.exec(service, ["ls", "-A", "/secrets"])).stdout.trim().split("\n").sort(), service).toEqual(
          [".gates", "ca", service, ...(service.startsWith("vault-") ? ["vault"] : [])].sort(),
        );

    // Django through the gateway: web-app's row (verify-full, its client certificate) and its Vault value (certificate login).
    const creds = (await vaultKv("database")).data!;
    const seeded = await probe("web-app", {
      op: "pg-login",
      conn: {
        host: creds.serverName,
        port: creds.port,
        dbname: creds.database,
        user: creds.username,
        password: creds.password,
        sslmode: "verify-full",
        sslrootcert: own("web-app").ca,
        sslcert: own("web-app").cert,
        sslkey: own("web-app").key,
      },
      sql: [
        { text: "CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, note text NOT NULL)" },
        { text: "INSERT INTO notes (note) VALUES (%s)", params: [note] },
      ],
    });
    expect(seeded, seeded.error).toMatchObject({ ok: true });
    const written = await vaultKv("greeting", { text: greeting });
    expect(written, written.error).toMatchObject({ ok: true });
    const ca = await secretFile("ca/ca.pem");
    const jwt = (await bootgate(["token", "alice"])).trim();
    const res = await gatewayGet(ca, project.gatewayPort, "/web/readings", jwt);
    expect(res.status, `${res.body}\n${(await logsOf("web-app")).slice(-3000)}`).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ user: "alice", note, greeting });
    for (const service of ["core-data", "core-metadata"]) {
      const r = await gatewayGet(ca, project.gatewayPort, `/${service}/hello`, jwt);
      expect(r.status, r.body).toBe(200);
    }

    // The agent on the checklist's config with the cluster's node count: every node's and checklist service's leaf.
    await waitFor("the agent to keep every node's and checklist service's leaf", 60_000, async () => {
      const state = JSON.parse(await secretFile("bootgate/agent-state.json")) as {
        items: { kind: string; service: string; failing: number; expiresAt?: string }[];
      };
      const want = [...NODES, ...CHECKLIST];
      const kept = state.items.filter((i) => i.kind === "certificate" && want.includes(i.service) && i.failing === 0 && i.expiresAt !== undefined);
      return kept.length === want.length ? true : undefined;
    });
  });

  it("should leave no container, volume or network behind after down -v", async () => {
    expect(await downLeftovers(project)).toEqual({ containers: "", volumes: "", networks: "" });
  });
});
