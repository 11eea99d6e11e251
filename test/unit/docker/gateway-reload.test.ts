import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { engineFailure } from "../../../src/docker/engine-error.js";
import { reloadGatewayContainer } from "../../../src/docker/gateway-reload.js";
import { FakeEngine, fakeContainer, fakeDockerOpener } from "../../support/docker-fakes.js";

const config = (docker = "docker:\n  project: stack\n") =>
  parseConfigText(`services:\n  - name: gateway\n  - name: core-data\ngateway:\n  service: gateway\n  routes: ./routes.toml\n${docker}`, {
    source: "/etc/bg.yaml",
    baseDir: "/etc",
    env: {},
  });

describe("reloading a gateway that runs in its own container", () => {
  it("should send SIGHUP to the running gateway container(s) and probe it by its service name", async () => {
    const engine = new FakeEngine([
      fakeContainer({ name: "stack-gateway-1", project: "stack", service: "gateway" }),
      fakeContainer({ name: "stack-gateway-2", project: "stack", service: "gateway", status: "exited", exitCode: 0 }),
      fakeContainer({ name: "stack-core-data-1", project: "stack", service: "core-data" }),
    ]);
    const result = await reloadGatewayContainer(config(), { open: fakeDockerOpener(engine) });
    expect(result).toEqual({ reloaded: true, containers: ["stack-gateway-1"], probeHost: "gateway" });
    expect(engine.signals).toEqual([{ id: "id-stack-gateway-1", signal: "SIGHUP" }]);
  });

  it("should not reload, and not fail, without a Docker socket", async () => {
    const engine = new FakeEngine([fakeContainer({ name: "stack-gateway-1", project: "stack", service: "gateway" })]);
    const result = await reloadGatewayContainer(config(), { open: fakeDockerOpener(engine, { socket: false }) });
    expect(result.reloaded).toBe(false);
    expect(engine.calls).toEqual([]);
  });

  it("should not reload when no gateway container runs yet (nginx then starts on the new config)", async () => {
    const engine = new FakeEngine([fakeContainer({ name: "stack-gateway-1", project: "stack", service: "gateway", status: "created" })]);
    const result = await reloadGatewayContainer(config(), { open: fakeDockerOpener(engine) });
    expect(result).toEqual({ reloaded: false, reason: "no running gateway container in compose project stack" });
    expect(engine.signals).toEqual([]);
  });

  it("should not fail when the project cannot be found on its own (nobody asked for containers)", async () => {
    const engine = new FakeEngine([]);
    engine.failWith = engineFailure("/var/run/docker.sock", "inspect container x", new Error("socket hang up"));
    const result = await reloadGatewayContainer(config(""), { open: fakeDockerOpener(engine, { inContainer: true }) });
    expect(result.reloaded).toBe(false);
    if (!result.reloaded) expect(result.reason).toContain("could not find the compose project");
  });

  it("should fail when the engine cannot list or signal the gateway's containers of a known project", async () => {
    const engine = new FakeEngine([fakeContainer({ name: "stack-gateway-1", project: "stack", service: "gateway" })]);
    engine.signalFailures = [
      engineFailure("/var/run/docker.sock", "send SIGHUP", Object.assign(new Error("(HTTP code 500) server error"), { statusCode: 500 })),
    ];
    await expect(reloadGatewayContainer(config(), { open: fakeDockerOpener(engine) })).rejects.toThrow(
      /could not send SIGHUP to container stack-gateway-1 \(service gateway\)/,
    );
    engine.failWith = new Error("boom");
    await expect(reloadGatewayContainer(config(), { open: fakeDockerOpener(engine) })).rejects.toThrow("boom");
  });
});
