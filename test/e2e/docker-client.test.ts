// bootgate's Docker client against the real engine: two throwaway containers with compose
// labels under a unique project; `bootgate status` shows them; a pki-init rerun that reissues
// a certificate sends the service's `reload` signal and the container logs it; a stopped
// container shows as exited with its code.
import { randomBytes } from "node:crypto";
import { rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Config } from "../../src/config/normalize.js";
import { openStackDocker } from "../../src/docker/stack-docker.js";
import { reloadGatewayContainer } from "../../src/docker/gateway-reload.js";
import { pkiInitStage } from "../../src/stages/pki-init.js";
import { buildStage } from "../../src/stages/registry.js";
import { containersStatusWith } from "../../src/status/containers-status.js";
import { runCli } from "../support/cli.js";
import { docker, runScript, waitFor } from "../support/compose-stack.js";
import { type LabelledContainer, removeProjectContainers, startLabelledContainer } from "../support/docker-engine.js";
import { pkiTestConfig } from "../support/pki.js";
import { tempDir } from "../support/tmp-dir.js";

const project = `bgdock${process.pid}${randomBytes(3).toString("hex")}`;
let dir: Awaited<ReturnType<typeof tempDir>>;
let config: Config;
let alpha: LabelledContainer;
let beta: LabelledContainer;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build.sh", 900_000);
  dir = await tempDir("bootgate-docker-");
  const input = {
    services: [
      { name: "alpha", reload: "SIGHUP" },
      { name: "beta", reload: "SIGHUP" },
    ],
    docker: { project },
  };
  config = pkiTestConfig(dir.path, input);
  await writeFile(join(dir.path, "bootgate.yaml"), stringify({ secretsDir: "./secrets", stateDir: "./state", ...input }));
  [alpha, beta] = await Promise.all([startLabelledContainer(project, "alpha", { healthCmd: "true" }), startLabelledContainer(project, "beta")]);
}, 1_200_000);

afterAll(async () => {
  await removeProjectContainers(project).catch(() => undefined);
  await dir?.[Symbol.asyncDispose]();
}, 120_000);

const status = () => containersStatusWith()(config);
const rowOf = async (service: string) => (await status())!.rows.find((r) => r[0] === service);

async function runPkiInit(): Promise<{ summary: string; lines: string[] }> {
  const stage = await buildStage(pkiInitStage(), config);
  const lines: string[] = [];
  const outcome = await stage.run({ config, bootId: "e2e", log: { info: (l) => lines.push(l) }, signal: new AbortController().signal, handoff: new Map() });
  return { summary: outcome?.summary ?? "", lines };
}

describe("bootgate's Docker client on a real engine", () => {
  it("should show both containers running, with alpha's health check turning healthy", async () => {
    const section = (await status())!;
    expect(section.title).toBe(`containers (compose project ${project})`);
    expect(section.rows.map((r) => [r[0], r[1], r[2]])).toEqual([
      ["alpha", alpha.name, "running"],
      ["beta", beta.name, "running"],
    ]);
    expect(section.rows.find((r) => r[0] === "beta")![3]).toBe("none");
    expect(Date.parse(section.rows[0]![4]!)).toBeGreaterThan(Date.now() - 3_600_000);
    await waitFor("alpha to be healthy", 60_000, async () => ((await rowOf("alpha"))?.[3] === "healthy" ? true : undefined));
  });

  it("should find no containers of the project when bootgate looks under another project", async () => {
    const other = pkiTestConfig(dir.path, { services: [{ name: "alpha" }], docker: { project: `${project}x` } });
    const section = (await containersStatusWith()(other))!;
    expect(section.rows).toEqual([["alpha", "-", "no container", "-", "-", "-"]]);
  });

  it("should signal nobody on the boot's first issue", async () => {
    const { summary, lines } = await runPkiInit();
    expect(summary).toBe("issued 2, kept 0; new ephemeral CA");
    expect(lines.filter((l) => l.startsWith("sent "))).toEqual([]);
  });

  it("should send SIGHUP to the running container whose certificate a rerun reissued, and only to it", async () => {
    // beta's folder emptied: the rerun makes a new CA (this boot's key is gone), reissues alpha,
    // and issues beta for the first time in its folder.
    await rm(join(config.secretsDir, "beta"), { recursive: true });
    const { summary, lines } = await runPkiInit();
    expect(summary).toBe("issued 2, kept 0; new ephemeral CA; signalled 1 container(s)");
    expect(lines.filter((l) => l.startsWith("sent "))).toEqual([`sent SIGHUP to container ${alpha.name} (service alpha): its certificate was reissued`]);
    await waitFor("alpha to log that it reloaded", 30_000, async () => ((await alpha.logs()).includes("reloaded") ? true : undefined));
    expect(await beta.logs()).not.toContain("reloaded");
  });

  it("should show a stopped container as exited with its exit code", async () => {
    await docker(["stop", "-t", "10", beta.name]);
    expect(await rowOf("beta")).toEqual(["beta", beta.name, "exited (3)", "none", expect.any(String), "none"]);
    expect((await rowOf("alpha"))?.[2]).toBe("running");
  });

  it("should not fail a reissue for a service whose container is not running", async () => {
    await rm(join(config.secretsDir, "alpha"), { recursive: true });
    const { lines } = await runPkiInit();
    expect(lines).toContain(`beta: no running container in compose project ${project}; nothing to signal (its certificate was reissued)`);
    expect(lines.filter((l) => l.startsWith("sent "))).toEqual([]);
  });

  it("should signal a gateway container with SIGHUP and name it by its service for the probe", async () => {
    const gatewayConfig = pkiTestConfig(dir.path, {
      services: [{ name: "alpha" }],
      gateway: { service: "alpha", routes: "./routes.toml" },
      docker: { project },
    });
    const before = (await alpha.logs()).split("reloaded").length;
    const result = await reloadGatewayContainer(gatewayConfig);
    expect(result).toEqual({ reloaded: true, containers: [alpha.name], probeHost: "alpha" });
    await waitFor("alpha to log a second reload", 30_000, async () => ((await alpha.logs()).split("reloaded").length > before ? true : undefined));
  });

  it("should print the containers in `bootgate status --json` from the project in BOOTGATE_COMPOSE_PROJECT", async () => {
    const file = join(dir.path, "status.yaml");
    await writeFile(file, stringify({ secretsDir: "./secrets", stateDir: "./state", services: [{ name: "alpha" }, { name: "beta" }] }));
    process.env.BOOTGATE_COMPOSE_PROJECT = project;
    try {
      const cli = await runCli(["status", "--json", "--config", file]);
      expect(cli.code).toBe(0);
      const containers = (JSON.parse(cli.stdout) as { containers: { project: string; containers: { service: string; state: string }[] } }).containers;
      expect(containers.project).toBe(project);
      expect(containers.containers.map((c) => [c.service, c.state])).toEqual([
        ["alpha", "running"],
        ["beta", "exited (3)"],
      ]);
    } finally {
      delete process.env.BOOTGATE_COMPOSE_PROJECT;
    }
  });

  it("should still print every section, exit 0, and say why when the socket's engine fails", async () => {
    const socket = join(dir.path, "broken.sock");
    const server = createServer((_req, res) => res.writeHead(500, { "content-type": "application/json" }).end('{"message":"engine down"}'));
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    process.env.BOOTGATE_DOCKER_SOCKET = socket;
    try {
      const cli = await runCli(["status", "--config", join(dir.path, "bootgate.yaml")]);
      expect(cli.code).toBe(0);
      expect(cli.stdout).toMatch(/^gates/m);
      expect(cli.stdout).toMatch(/^containers$/m);
      expect(cli.stdout).toContain(`docker engine error: docker engine at ${socket}: list containers failed: HTTP 500`);
    } finally {
      delete process.env.BOOTGATE_DOCKER_SOCKET;
      await new Promise((r) => server.close(r));
    }
  });

  it("should use the engine that docker.socket names, even with DOCKER_HOST pointing elsewhere", async () => {
    const previous = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "tcp://127.0.0.1:1";
    try {
      const withSocket = pkiTestConfig(dir.path, { services: [{ name: "alpha" }], docker: { project, socket: "/var/run/docker.sock" } });
      const lookup = await openStackDocker(withSocket);
      expect(lookup.available).toBe(true);
      if (lookup.available) expect((await lookup.docker.engine.inspect(alpha.name))?.status).toBe("running");
    } finally {
      if (previous === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = previous;
    }
  });
});
