// The stack in docker compose, with real containers: the engine from scripts/docker-engine.sh,
// the images from compose/image/build.sh, compose/docker-compose.yml up, a route through the
// gateway from a client that trusts only the stack's CA, a reboot (down + up: the tmpfs volume is
// emptied, the state volume kept) and a final `down -v` that leaves nothing behind.
import { X509Certificate, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/local/free-port.js";
import { composeCommand, composeProject, docker, runScript, waitFor, type ComposeProject } from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";

let project: ComposeProject;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build.sh", 900_000);
  project = composeProject(await composeCommand(), `bgtest${process.pid}${randomBytes(3).toString("hex")}`, await freePort());
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const exec = (service: string, argv: string[]) => project.run(["exec", "-T", service, ...argv], 60_000);
const caPem = () => exec("core-data", ["cat", "/secrets/ca/ca.pem"]);
const certOf = async (service: string) => new X509Certificate(await exec("core-data", ["cat", `/secrets/${service}/cert.pem`]));
const token = async (user: string) => (await exec("core-data", ["node", "/app/bin/bootgate.js", "token", user])).trim();
const initLogs = () => project.run(["logs", "--no-color", "init"], 60_000);

/** up -d, then the init container must exit 0 and the gateway answer (401 without a token) within bounds. */
async function bootAndWaitForGateway(): Promise<string> {
  await project.run(["up", "-d"], 600_000);
  const initId = await project.containerId("init");
  const state = await waitFor("the init container to finish", 300_000, async () => {
    const s = await docker(["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", initId]);
    return s.startsWith("exited") ? s : undefined;
  });
  expect(state, `init exited; its log:\n${await initLogs()}`).toBe("exited 0");
  const ca = await waitFor("the stack's CA on the secrets volume", 120_000, async () => {
    const pem = await caPem();
    return pem.includes("BEGIN CERTIFICATE") ? pem : undefined;
  });
  await waitFor(`the gateway on 127.0.0.1:${project.gatewayPort}`, 180_000, async () => {
    const res = await gatewayGet(ca, project.gatewayPort, "/core-data/");
    return res.status === 401 ? res : undefined;
  });
  return ca;
}

/** The route answers 200 through the gateway once the services listen (they start after db-ready). */
async function routeWithToken(ca: string, path: string, user: string) {
  const jwt = await token(user);
  return waitFor(`${path} through the gateway`, 180_000, async () => {
    const res = await gatewayGet(ca, project.gatewayPort, path, jwt);
    return res.status === 200 ? res : undefined;
  });
}

describe("the stack in docker compose", () => {
  let firstCa: string;
  let firstSerial: string;

  it("should boot in containers and serve a route through the gateway to a client that trusts only the stack's CA", async () => {
    const ca = await bootAndWaitForGateway();
    expect(await initLogs()).toMatch(/secretstore-setup .*initialized/);
    const res = await routeWithToken(ca, "/core-data/hello", "alice");
    expect(JSON.parse(res.body)).toMatchObject({ service: "core-data", path: "/hello", caller: "gateway", db: { role: "core_data", ssl: true } });
    const other = await routeWithToken(ca, "/core-metadata/", "alice");
    expect(JSON.parse(other.body)).toMatchObject({ service: "core-metadata", db: { role: "core_metadata", ssl: true } });
    expect((await gatewayGet(ca, project.gatewayPort, "/core-data/hello")).status).toBe(401);
    // Service names only: a client that connects by IP must name the service to be verified.
    expect((await certOf("vault")).subjectAltName).toBe("DNS:vault");
    firstCa = ca;
    firstSerial = (await certOf("core-data")).serialNumber;
  });

  it("should reboot after down and up: the tmpfs emptied, new certificates, Vault unsealed from the keyring, the same database passwords", async () => {
    await project.run(["down", "-t", "20"], 300_000);
    expect(await docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project.name}`])).toBe("");
    // The secrets volume outlives `down` but its tmpfs is gone: nothing of the last boot is left in it.
    const secretsMount = await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", `${project.name}_secrets`]);
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(` ${secretsMount} `);
    expect(readdirSync(secretsMount)).toEqual([]);
    const stateMount = await docker(["volume", "inspect", "-f", "{{.Mountpoint}}", `${project.name}_state`]);
    expect(readdirSync(stateMount)).toEqual(expect.arrayContaining(["ikm.hex", "openbao", "postgres", "vault"]));

    const ca = await bootAndWaitForGateway();
    expect(ca).not.toBe(firstCa);
    expect((await certOf("core-data")).serialNumber).not.toBe(firstSerial);
    const logs = await initLogs();
    const vaultLine = logs.split("\n").find((l) => l.includes("✓ secretstore-setup")) ?? "";
    expect(vaultLine).toContain("unsealed");
    expect(vaultLine).not.toContain("initialized");
    // Vault already held both passwords and PostgreSQL their verifiers: nothing created or reset.
    expect(logs).toMatch(/db-seed .*0 created, 0 password set/);
    const res = await routeWithToken(ca, "/core-data/again", "bob");
    expect(JSON.parse(res.body)).toMatchObject({ service: "core-data", db: { role: "core_data", ssl: true } });
  });

  it("should leave no container, volume or network behind after down -v", async () => {
    await project.run(["down", "-v", "-t", "20"], 300_000);
    const label = `label=com.docker.compose.project=${project.name}`;
    expect(await docker(["ps", "-aq", "--filter", label])).toBe("");
    expect(await docker(["volume", "ls", "-q", "--filter", label])).toBe("");
    expect(await docker(["network", "ls", "-q", "--filter", label])).toBe("");
  });
});
