import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import type { VolumeMount } from "../../../src/docker/container-engine.js";
import { engineFailure } from "../../../src/docker/engine-error.js";
import { containersStatusWith, describeState } from "../../../src/status/containers-status.js";
import { STATUS_PROVIDERS } from "../../../src/status/providers.js";
import { secretsMountOf, secretsSharing } from "../../../src/status/secrets-sharing.js";
import { FakeEngine, fakeContainer } from "../../support/docker-fakes.js";

const config = (extra = "") =>
  parseConfigText(`services:\n  - name: vault\n  - name: core-data\n  - name: gateway\n${extra}`, { source: "/etc/bg.yaml", baseDir: "/etc", env: {} });

const stack = () =>
  new FakeEngine([
    fakeContainer({ name: "stack-vault-1", project: "stack", service: "vault", status: "running", health: "healthy", startedAt: "2026-11-24T00:10:00.000Z" }),
    fakeContainer({ name: "stack-init-1", project: "stack", service: "init", status: "exited", exitCode: 0 }),
    fakeContainer({ name: "stack-core-data-1", project: "stack", service: "core-data", status: "exited", exitCode: 137, health: "unhealthy" }),
    fakeContainer({ name: "stack-core-data-2", project: "stack", service: "core-data", status: "running", health: "starting" }),
    fakeContainer({ name: "other-vault-1", project: "other", service: "vault" }),
  ]);

const deps = (engine: FakeEngine, env: NodeJS.ProcessEnv = { BOOTGATE_COMPOSE_PROJECT: "stack" }, socket = true) => ({
  env,
  isSocket: async () => socket,
  createEngine: () => engine,
  inContainer: async () => false,
});

describe("the containers section of `bootgate status`", () => {
  it("should be one of bootgate status's sections, under the key `containers`", async () => {
    expect(STATUS_PROVIDERS).toContain((await import("../../../src/status/containers-status.js")).containersStatus);
    const section = await containersStatusWith(deps(stack()))(config());
    expect(section?.key).toBe("containers");
  });

  it("should list one row per container of the project, with state, exit code, health and start time", async () => {
    const section = (await containersStatusWith(deps(stack()))(config()))!;
    expect(section.title).toBe("containers (compose project stack)");
    expect(section.columns).toEqual(["service", "container", "state", "health", "started", "secrets"]);
    expect(section.rows).toEqual([
      ["core-data", "stack-core-data-1", "exited (137)", "unhealthy", "2026-01-01T00:00:00.000Z", "none"],
      ["core-data", "stack-core-data-2", "running", "starting", "2026-01-01T00:00:00.000Z", "none"],
      ["gateway", "-", "no container", "-", "-", "-"],
      ["init", "stack-init-1", "exited (0)", "none", "2026-01-01T00:00:00.000Z", "none"],
      ["vault", "stack-vault-1", "running", "healthy", "2026-11-24T00:10:00.000Z", "none"],
    ]);
    const data = section.data as { project: string; containers: { container: string | null; exitCode: number | null }[] };
    expect(data.project).toBe("stack");
    expect(data.containers.find((c) => c.container === "stack-core-data-1")?.exitCode).toBe(137);
    expect(data.containers.find((c) => c.container === "stack-vault-1")?.exitCode).toBeNull();
  });

  it("should only read from the engine, never signal", async () => {
    const engine = stack();
    await containersStatusWith(deps(engine))(config());
    expect(engine.calls.every((c) => c.startsWith("list ") || c.startsWith("inspect "))).toBe(true);
    expect(engine.calls.length).toBeGreaterThan(0);
    expect(engine.signals).toEqual([]);
  });

  it("should say the docker socket is not available, as a row, when there is none", async () => {
    const engine = stack();
    const section = (await containersStatusWith(deps(engine, {}, false))(config()))!;
    expect(section.rows).toHaveLength(1);
    expect(section.rows[0]![2]).toMatch(/^docker socket not available: no unix socket at/);
    expect(section.data).toMatchObject({ available: false });
    expect(engine.calls).toEqual([]);
  });

  it("should say the engine failed, with the cause, instead of throwing", async () => {
    const engine = stack();
    engine.failWith = engineFailure(
      "/var/run/docker.sock",
      "list containers",
      Object.assign(new Error("connect ECONNREFUSED /var/run/docker.sock"), { code: "ECONNREFUSED" }),
    );
    const section = (await containersStatusWith(deps(engine))(config()))!;
    expect(section.rows[0]![2]).toBe(
      "docker engine error: docker engine at /var/run/docker.sock: list containers failed: connection refused: is dockerd running? (connect ECONNREFUSED /var/run/docker.sock)",
    );
    expect(section.data).toMatchObject({ available: true, error: expect.stringContaining("ECONNREFUSED") });
  });

  it("should say the project is unknown when nothing names it", async () => {
    const section = (await containersStatusWith(deps(stack(), {}))(config()))!;
    expect(section.rows[0]![2]).toBe("compose project unknown: bootgate does not run in a container; set docker.project or BOOTGATE_COMPOSE_PROJECT");
  });

  it("should take the project from docker.project in the config", async () => {
    const section = (await containersStatusWith(deps(stack(), {}))(config("docker:\n  project: other\n")))!;
    expect(section.rows.filter((r) => r[1] !== "-").map((r) => r[1])).toEqual(["other-vault-1"]);
  });
});

describe("what of the secrets volume the containers mount, in `bootgate status`", () => {
  const whole: VolumeMount[] = [{ volume: "stack_secrets", target: "/secrets", subpath: undefined }];
  const own = (service: string): VolumeMount[] => [
    { volume: "stack_secrets", target: `/secrets/${service}`, subpath: service },
    { volume: "stack_secrets", target: "/secrets/ca", subpath: "ca" },
    { volume: "stack_secrets", target: "/secrets/.gates", subpath: ".gates" },
  ];
  const engine = (vault: VolumeMount[], coreData: VolumeMount[]) =>
    new FakeEngine([
      fakeContainer({ name: "stack-init-1", project: "stack", service: "init", status: "exited", volumes: whole }),
      fakeContainer({ name: "stack-holder-1", project: "stack", service: "holder", volumes: whole }),
      fakeContainer({
        name: "stack-vault-1",
        project: "stack",
        service: "vault",
        volumes: [...vault, { volume: "stack_vault-data", target: "/var/lib/openbao", subpath: undefined }],
      }),
      fakeContainer({ name: "stack-core-data-1", project: "stack", service: "core-data", volumes: coreData }),
    ]);

  it("should say each service mounts its own folder with compose/subpath.yml, init and the holder the whole volume", async () => {
    const section = (await containersStatusWith(deps(engine(own("vault"), own("core-data"))))(config()))!;
    expect(section.title).toBe("containers (compose project stack)");
    expect(Object.fromEntries(section.rows.map((r) => [r[0], r[5]]))).toEqual({
      "core-data": "own folder",
      gateway: "-",
      holder: "whole volume",
      init: "whole volume",
      vault: "own folder",
    });
    expect(section.data).toMatchObject({ secretsVolume: "per-service folders" });
  });

  it("should say the services share the whole volume where the engine mounted it whole (an engine without volume subpath)", async () => {
    const section = (await containersStatusWith(deps(engine(whole, whole)))(config()))!;
    expect(section.title).toBe(
      "containers (compose project stack; services share the whole secrets volume (no volume subpath: compose/subpath.yml not in use))",
    );
    expect(section.rows.find((r) => r[0] === "vault")![5]).toBe("whole volume");
    expect(section.data).toMatchObject({ secretsVolume: "whole volume shared" });
  });

  it("should count one service on the whole volume as shared, and say unknown before any service container exists", async () => {
    expect(secretsSharing(engine(own("vault"), whole).containers, ["vault", "core-data"], "stack")).toBe("whole volume shared");
    expect(secretsSharing(engine([], []).containers, ["vault", "core-data"], "stack")).toBe("unknown");
    // Another project's volume of the same name is not this stack's.
    expect(secretsMountOf({ volumes: [{ volume: "other_secrets", target: "/secrets", subpath: undefined }] }, "stack")).toBe("none");
  });
});

describe("a container's state in words", () => {
  it.each([
    [{ status: "running", exitCode: 0 }, "running"],
    [{ status: "exited", exitCode: 3 }, "exited (3)"],
    [{ status: "dead", exitCode: 1 }, "dead (1)"],
    [{ status: "restarting", exitCode: 1 }, "restarting"],
  ])("should describe %o as %s", (state, text) => {
    expect(describeState(state)).toBe(text);
  });
});
