import { describe, expect, it } from "vitest";
import { CONFIG_SOURCE, configRefusal, parseConfig } from "../../support/config-text.js";

const SOURCE = CONFIG_SOURCE;
const parse = parseConfig;
const refusal = configRefusal;

describe("the services' `reload` setting", () => {
  it("should accept a signal name such as SIGHUP and leave it unset by default", () => {
    const c = parse("services:\n  - name: core-data\n    reload: SIGHUP\n  - name: vault\n");
    expect(c.services[0]!.reload).toBe("SIGHUP");
    expect(c.services[1]!.reload).toBeUndefined();
  });

  it("should refuse an unknown signal, naming the file, the field and what was expected", () => {
    const error = refusal("services:\n  - name: vault\n  - name: core-data\n    reload: SIGBOGUS\n");
    expect(error.file).toBe(SOURCE);
    expect(error.issues).toEqual([{ path: "services.1.reload", message: expect.stringContaining("expected a signal name such as SIGHUP") }]);
    expect(error.message).toContain("got `SIGBOGUS`");
  });

  it.each(["SIGKILL", "SIGSTOP", "HUP", "sighup", "1"])("should refuse `%s` as a reload signal", (value) => {
    const error = refusal(`services:\n  - name: core-data\n    reload: "${value}"\n`);
    expect(error.issues.map((i) => i.path)).toEqual(["services.0.reload"]);
  });

  it("should refuse a reload that is not a string", () => {
    const error = refusal("services:\n  - name: core-data\n    reload: 1\n");
    expect(error.issues).toEqual([{ path: "services.0.reload", message: "expected a signal name such as SIGHUP or SIGUSR1" }]);
  });
});

describe("the `docker` section", () => {
  it("should default to no socket, no project and a 10s budget per engine call", () => {
    const c = parse("services:\n  - name: vault\n");
    expect(c.docker).toEqual({ timeoutMs: 10_000 });
  });

  it("should take a socket, a project and a timeout", () => {
    const c = parse("services: []\ndocker:\n  socket: /run/docker.sock\n  project: my_stack-1\n  timeout: 3s\n");
    expect(c.docker).toEqual({ socket: "/run/docker.sock", project: "my_stack-1", timeoutMs: 3_000 });
  });

  it("should refuse a relative socket path, a bad project name and an unknown key, all at once", () => {
    const error = refusal("services: []\ndocker:\n  socket: run/docker.sock\n  project: My Stack\n  host: tcp://x\n");
    expect(error.file).toBe(SOURCE);
    const byPath = Object.fromEntries(error.issues.map((i) => [i.path, i.message]));
    expect(byPath["docker.socket"]).toContain("expected the absolute path of the Docker engine's unix socket");
    expect(byPath["docker.project"]).toContain("expected a compose project name");
    expect(byPath.docker).toContain("unknown key `host`");
  });

  it("should let BOOTGATE_DOCKER_SOCKET override docker.socket", () => {
    const c = parse("services: []\ndocker:\n  socket: /run/docker.sock\n", { BOOTGATE_DOCKER_SOCKET: "/tmp/proxy.sock" });
    expect(c.docker.socket).toBe("/tmp/proxy.sock");
  });

  it("should say a bad BOOTGATE_DOCKER_SOCKET came from that variable", () => {
    const error = refusal("services: []\n", { BOOTGATE_DOCKER_SOCKET: "docker.sock" });
    expect(error.issues).toEqual([{ path: "docker.socket", message: expect.stringContaining("(from BOOTGATE_DOCKER_SOCKET)") }]);
  });
});
