import { rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ServiceOutcome } from "../../../src/pki/provision.js";
import { reloadReissued } from "../../../src/docker/reload-reissued.js";
import { engineFailure } from "../../../src/docker/engine-error.js";
import { pkiTestConfig, provisionTestPki } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";
import { FakeEngine, fakeContainer, fakeDockerOpener } from "../../support/docker-fakes.js";
import { pendingReloads } from "../../../src/volume/pending-reloads.js";
import { pendingReloadsPath } from "../../../src/volume/layout.js";

const SERVICES = [{ name: "vault" }, { name: "postgres" }, { name: "core-data" }];
const reissuedOf = (outcomes: ServiceOutcome[]) =>
  outcomes
    .filter((o) => o.reissued)
    .map((o) => o.service)
    .sort();

describe("which leaves pki-init reports as reissued", () => {
  it("should report none on a boot's first issue", async () => {
    await using dir = await tempDir();
    const { result } = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    expect(result.services.filter((o) => o.action === "issued")).toHaveLength(3);
    expect(reissuedOf(result.services)).toEqual([]);
  });

  it("should report the leaves of this boot it replaced, but not a leaf whose folder was empty", async () => {
    await using dir = await tempDir();
    const { config } = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    await rm(join(config.secretsDir, "postgres"), { recursive: true });
    // This boot's CA key is gone (another process): a new CA, so every leaf is issued again.
    const { result } = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    expect(result.services.filter((o) => o.action === "issued")).toHaveLength(3);
    expect(reissuedOf(result.services)).toEqual(["core-data", "vault"]);
  });

  it("should report a leaf replaced because its names changed", async () => {
    await using dir = await tempDir();
    await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    const changed = [{ name: "vault", dns: ["vault.internal"] }, { name: "postgres" }, { name: "core-data" }];
    const { result } = await provisionTestPki(dir.path, { services: changed }, { kernelBootId: "boot-a" });
    expect(reissuedOf(result.services)).toContain("vault");
  });

  it("should report none when nothing changed (every leaf kept)", async () => {
    await using dir = await tempDir();
    await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    const { result } = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    expect(result.services.every((o) => o.action === "kept")).toBe(true);
    expect(reissuedOf(result.services)).toEqual([]);
  });

  it("should report none when the leaves on the volume are from another kernel boot", async () => {
    await using dir = await tempDir();
    await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    const { result } = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-b" });
    expect(result.services.filter((o) => o.action === "issued")).toHaveLength(3);
    expect(reissuedOf(result.services)).toEqual([]);
  });
});

describe("reloading services after a reissue", () => {
  const config = (dir: string) =>
    pkiTestConfig(dir, {
      services: [
        { name: "vault", reload: "SIGHUP" },
        { name: "postgres" },
        { name: "core-data", reload: "SIGUSR1" },
        { name: "core-metadata", reload: "SIGHUP" },
      ],
      docker: { project: "stack" },
    });
  const stack = () =>
    new FakeEngine([
      fakeContainer({ name: "stack-vault-1", project: "stack", service: "vault" }),
      fakeContainer({ name: "stack-vault-2", project: "stack", service: "vault", status: "exited", exitCode: 0 }),
      fakeContainer({ name: "stack-postgres-1", project: "stack", service: "postgres" }),
      fakeContainer({ name: "stack-core-data-1", project: "stack", service: "core-data" }),
      fakeContainer({ name: "stack-core-metadata-1", project: "stack", service: "core-metadata" }),
      fakeContainer({ name: "other-vault-1", project: "other", service: "vault" }),
    ]);
  const issued = (service: string, reissued: boolean): ServiceOutcome => ({ service, action: "issued", ...(reissued ? { reissued: true } : {}) });

  it("should signal the running containers of reissued services that set `reload`, each with its own signal", async () => {
    await using dir = await tempDir();
    const engine = stack();
    const lines: string[] = [];
    const outcomes = [issued("vault", true), issued("postgres", true), issued("core-data", true), issued("core-metadata", false)];
    const done = await reloadReissued(config(dir.path), outcomes, { log: (l) => lines.push(l), open: fakeDockerOpener(engine) });
    expect(engine.signals).toEqual([
      { id: "id-stack-vault-1", signal: "SIGHUP" },
      { id: "id-stack-core-data-1", signal: "SIGUSR1" },
    ]);
    expect(done.map((d) => d.container)).toEqual(["stack-vault-1", "stack-core-data-1"]);
    expect(lines.filter((l) => l.startsWith("sent "))).toEqual([
      "sent SIGHUP to container stack-vault-1 (service vault): its certificate was reissued",
      "sent SIGUSR1 to container stack-core-data-1 (service core-data): its certificate was reissued",
    ]);
    // postgres was reissued but asked for no reload: said, not signalled.
    expect(lines.some((l) => l.includes("postgres") && l.includes("no `reload` set"))).toBe(true);
  });

  it("should signal nobody and need no Docker on a boot's first issue", async () => {
    await using dir = await tempDir();
    const engine = stack();
    const outcomes = [issued("vault", false), issued("core-data", false)];
    const done = await reloadReissued(config(dir.path), outcomes, { log: () => {}, open: fakeDockerOpener(engine, { socket: false }) });
    expect(done).toEqual([]);
    expect(engine.calls).toEqual([]);
  });

  it("should need no Docker when the reissued services ask for no reload", async () => {
    await using dir = await tempDir();
    const engine = stack();
    const done = await reloadReissued(config(dir.path), [issued("postgres", true)], { log: () => {}, open: fakeDockerOpener(engine, { socket: false }) });
    expect(done).toEqual([]);
    expect(engine.calls).toEqual([]);
  });

  it("should fail, naming the services and why, when a reload is due and there is no Docker socket", async () => {
    await using dir = await tempDir();
    await expect(
      reloadReissued(config(dir.path), [issued("vault", true)], { log: () => {}, open: fakeDockerOpener(stack(), { socket: false }) }),
    ).rejects.toThrow(/^vault has `reload` set, but the Docker engine is not available to signal them: no unix socket at/);
  });

  it("should not fail when a reissued service has no running container", async () => {
    await using dir = await tempDir();
    const engine = new FakeEngine([fakeContainer({ name: "stack-vault-1", project: "stack", service: "vault", status: "exited", exitCode: 0 })]);
    const lines: string[] = [];
    const done = await reloadReissued(config(dir.path), [issued("vault", true)], { log: (l) => lines.push(l), open: fakeDockerOpener(engine) });
    expect(done).toEqual([]);
    expect(engine.signals).toEqual([]);
    expect(lines).toEqual(["vault: no running container in compose project stack; nothing to signal (its certificate was reissued)"]);
  });

  it("should fail with the container and the cause when the engine refuses the signal", async () => {
    await using dir = await tempDir();
    const engine = stack();
    engine.signalFailures = [
      engineFailure(
        "/var/run/docker.sock",
        "send SIGHUP to container id-stack-vault-1",
        Object.assign(new Error("(HTTP code 403) forbidden"), { statusCode: 403 }),
      ),
    ];
    const error = (await reloadReissued(config(dir.path), [issued("vault", true)], { log: () => {}, open: fakeDockerOpener(engine) }).then(
      () => undefined,
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toContain("could not send SIGHUP to container stack-vault-1 (service vault)");
    expect(error.message).toContain("HTTP 403");
    expect(error.message).toContain("restart the containers of vault to load them");
  });

  it("should retry a refused connection to the engine before giving up", async () => {
    await using dir = await tempDir();
    const engine = stack();
    const refused = () => engineFailure("/var/run/docker.sock", "send SIGHUP", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }));
    engine.signalFailures = [refused()];
    const done = await reloadReissued(config(dir.path), [issued("vault", true)], { log: () => {}, open: fakeDockerOpener(engine) });
    expect(done.map((d) => d.container)).toEqual(["stack-vault-1"]);

    engine.signalFailures = [refused(), refused(), refused()];
    await expect(reloadReissued(config(dir.path), [issued("vault", true)], { log: () => {}, open: fakeDockerOpener(engine) })).rejects.toThrow(
      /connection refused/,
    );
  });

  it("should fail when the compose project cannot be found", async () => {
    await using dir = await tempDir();
    const noProject = pkiTestConfig(dir.path, { services: [{ name: "vault", reload: "SIGHUP" }] });
    await expect(reloadReissued(noProject, [issued("vault", true)], { log: () => {}, open: fakeDockerOpener(stack()) })).rejects.toThrow(
      /cannot signal the containers of vault: the compose project is unknown \(bootgate does not run in a container/,
    );
  });

  it("should find the project from bootgate's own container when it runs in one", async () => {
    await using dir = await tempDir();
    const noProject = pkiTestConfig(dir.path, { services: [{ name: "vault", reload: "SIGHUP" }] });
    const engine = stack();
    engine.containers.push(fakeContainer({ name: "stack-init-1", project: "stack", service: "init" }));
    const done = await reloadReissued(noProject, [issued("vault", true)], {
      log: () => {},
      open: fakeDockerOpener(engine, { inContainer: true, hostname: "stack-init-1" }),
    });
    expect(done.map((d) => d.container)).toEqual(["stack-vault-1"]);
  });
});

describe("a reload journalled before the leaves are written", () => {
  const input = {
    services: [{ name: "vault", reload: "SIGHUP" }, { name: "postgres" }, { name: "core-data", reload: "SIGUSR1" }],
    docker: { project: "stack" },
  };
  const stack = () =>
    new FakeEngine([
      fakeContainer({ name: "stack-vault-1", project: "stack", service: "vault" }),
      fakeContainer({ name: "stack-postgres-1", project: "stack", service: "postgres" }),
      fakeContainer({ name: "stack-core-data-1", project: "stack", service: "core-data" }),
    ]);

  // A run killed after pki-init wrote the reissued leaves and before it sent the reloads.
  async function cutAfterTheWrites(dir: string) {
    const { config } = await provisionTestPki(dir, input, { kernelBootId: "boot-a" });
    await rm(join(config.secretsDir, "postgres"), { recursive: true });
    // This boot's CA key is gone: a new CA, every leaf issued again, vault's and core-data's replacing this boot's.
    const { result } = await provisionTestPki(dir, input, { kernelBootId: "boot-a" });
    return { config, result };
  }

  it("should journal the reissued services that set `reload`, and no other, by the time the leaves are on the volume", async () => {
    await using dir = await tempDir();
    const { config, result } = await cutAfterTheWrites(dir.path);
    expect(reissuedOf(result.services)).toEqual(["core-data", "vault"]);
    expect(await pendingReloads(config.secretsDir)).toEqual(["core-data", "vault"]);
    expect((await stat(pendingReloadsPath(config.secretsDir))).mode & 0o777).toBe(0o600);
  });

  it("should have the next run signal them though it keeps every leaf, then forget them", async () => {
    await using dir = await tempDir();
    const { config } = await cutAfterTheWrites(dir.path);
    const { result: rerun } = await provisionTestPki(dir.path, input, { kernelBootId: "boot-a" });
    expect(rerun.services.every((o) => o.action === "kept")).toBe(true);
    const engine = stack();
    const lines: string[] = [];
    await reloadReissued(config, rerun.services, { log: (l) => lines.push(l), open: fakeDockerOpener(engine) });
    expect(engine.signals).toEqual([
      { id: "id-stack-vault-1", signal: "SIGHUP" },
      { id: "id-stack-core-data-1", signal: "SIGUSR1" },
    ]);
    expect(lines).toContain(
      "sent SIGHUP to container stack-vault-1 (service vault): its certificate was reissued by an earlier run that stopped before the reload",
    );
    expect(await pendingReloads(config.secretsDir)).toEqual([]);
    await expect(stat(pendingReloadsPath(config.secretsDir))).rejects.toMatchObject({ code: "ENOENT" });

    // Forgotten: a third run signals nobody.
    const again = stack();
    await reloadReissued(config, rerun.services, { log: () => {}, open: fakeDockerOpener(again) });
    expect(again.signals).toEqual([]);
  });

  it("should keep them journalled when the signal fails, so the run after that sends it", async () => {
    await using dir = await tempDir();
    const { config, result } = await cutAfterTheWrites(dir.path);
    const refusing = stack();
    refusing.signalFailures = [
      engineFailure("/var/run/docker.sock", "send SIGHUP", Object.assign(new Error("(HTTP code 403) forbidden"), { statusCode: 403 })),
    ];
    await expect(reloadReissued(config, result.services, { log: () => {}, open: fakeDockerOpener(refusing) })).rejects.toThrow(/could not send SIGHUP/);
    expect(await pendingReloads(config.secretsDir)).toEqual(["core-data", "vault"]);
    await expect(reloadReissued(config, [], { log: () => {}, open: fakeDockerOpener(stack(), { socket: false }) })).rejects.toThrow(
      /^vault, core-data have `reload` set, but the Docker engine is not available/,
    );
    const engine = stack();
    await reloadReissued(config, [], { log: () => {}, open: fakeDockerOpener(engine) });
    expect(engine.signals.map((s) => s.id)).toEqual(["id-stack-vault-1", "id-stack-core-data-1"]);
    expect(await pendingReloads(config.secretsDir)).toEqual([]);
  });

  it("should forget a journalled service the config no longer reloads, without asking Docker", async () => {
    await using dir = await tempDir();
    const { config } = await cutAfterTheWrites(dir.path);
    const quiet = pkiTestConfig(dir.path, { services: [{ name: "vault" }, { name: "postgres" }, { name: "core-data" }], docker: { project: "stack" } });
    expect(quiet.secretsDir).toBe(config.secretsDir);
    const engine = stack();
    await reloadReissued(quiet, [], { log: () => {}, open: fakeDockerOpener(engine, { socket: false }) });
    expect(engine.calls).toEqual([]);
    expect(await pendingReloads(config.secretsDir)).toEqual([]);
  });

  it("should journal nothing on a boot's first issue", async () => {
    await using dir = await tempDir();
    const { config } = await provisionTestPki(dir.path, input, { kernelBootId: "boot-a" });
    expect(await pendingReloads(config.secretsDir)).toEqual([]);
  });
});
