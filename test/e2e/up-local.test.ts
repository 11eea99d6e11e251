// `bootgate up --local` end to end: real OpenBao, PostgreSQL, nginx and two example services,
// started by bootgate itself in a temp folder; then a reboot.
import { X509Certificate } from "node:crypto";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { gatewayGet, pickPorts, processesMentioning, stackEnv, startUp, type StackPorts, type UpRun } from "../support/local-stack.js";
import { tempDir } from "../support/tmp-dir.js";
import { BOOTGATE_BIN } from "../support/waiters.js";
import { caBundlePath, servicePath } from "../../src/volume/layout.js";

const dirHandle = await tempDir("bootgate-up-");
const dir = dirHandle.path;
// Like a checkout (0755), not mkdtemp's 0700: PostgreSQL's own user must pass through to its data.
chmodSync(dir, 0o711);
let ports: StackPorts;
let running: UpRun | undefined;

afterAll(async () => {
  if (running && running.child.exitCode === null) {
    running.child.kill("SIGINT");
    await running.exited;
  }
  await dirHandle[Symbol.asyncDispose]();
});

const secrets = () => join(dir, "secrets-volume");
const caPem = () => readFileSync(caBundlePath(secrets()), "utf8");
const certOf = (service: string) => new X509Certificate(readFileSync(servicePath(secrets(), service, "cert")));
const token = (user: string) => execFileSync(process.execPath, [BOOTGATE_BIN, "token", user], { cwd: dir, env: stackEnv(ports), encoding: "utf8" }).trim();
const summaryOf = (run: UpRun, stage: string) => String(run.events.find((e) => e.type === "stage-done" && e.stage === stage)?.summary ?? "");

async function stopAndCheckNothingLeft(run: UpRun) {
  run.child.kill("SIGINT");
  expect(await run.exited).toBe(130);
  expect(processesMentioning(dir)).toEqual([]);
  expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(secrets());
}

describe("bootgate up --local", () => {
  let firstSerial: string;
  let firstCa: string;

  it("should bring the stack up and serve a route through the gateway to a client that trusts only the stack's CA", async () => {
    ports = await pickPorts();
    running = startUp(dir, ports);
    const ready = await running.ready;
    expect(ready.services).toEqual([
      expect.objectContaining({ name: "core-data", path: "/core-data" }),
      expect.objectContaining({ name: "core-metadata", path: "/core-metadata" }),
    ]);
    for (const stage of ["pki-init", "secretstore-setup", "db-seed", "gateway-cert", "proxy-setup"]) {
      expect(
        running.events.some((e) => e.type === "stage-done" && e.stage === stage),
        `${stage} finished`,
      ).toBe(true);
    }
    expect(summaryOf(running, "secretstore-setup")).toContain("enabled secret/");

    const jwt = token("alice");
    const ok = await gatewayGet(caPem(), ports.gateway, "/core-data/hello", jwt);
    expect(ok.status).toBe(200);
    const body = JSON.parse(ok.body);
    expect(body).toMatchObject({ service: "core-data", path: "/hello", caller: "gateway", db: { role: "core_data", ssl: true } });
    const other = await gatewayGet(caPem(), ports.gateway, "/core-metadata/", jwt);
    expect(JSON.parse(other.body)).toMatchObject({ service: "core-metadata", db: { role: "core_metadata", ssl: true } });
    expect((await gatewayGet(caPem(), ports.gateway, "/core-data/hello")).status).toBe(401);

    firstSerial = certOf("core-data").serialNumber;
    firstCa = caPem();
  });

  it("should stop every child on SIGINT and leave no process or mount behind", async () => {
    await stopAndCheckNothingLeft(running!);
  });

  it("should reboot on a second up: new certificates, Vault unsealed from the keyring, the same database passwords", async () => {
    running = startUp(dir, ports);
    await running.ready;
    expect(certOf("core-data").serialNumber).not.toBe(firstSerial);
    expect(caPem()).not.toBe(firstCa);
    const vault = summaryOf(running, "secretstore-setup");
    expect(vault).toContain("unsealed");
    expect(vault).not.toContain("initialized");
    // Vault already held both passwords: db-seed set no new one, and the services logged in with them.
    expect(summaryOf(running, "db-seed")).toMatch(/0 created/);
    const res = await gatewayGet(caPem(), ports.gateway, "/core-metadata/x", token("bob"));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ service: "core-metadata", db: { role: "core_metadata", ssl: true } });
    await stopAndCheckNothingLeft(running);
  });
});
