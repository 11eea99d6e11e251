import { describe, expect, it } from "vitest";
import { DEFAULT_DOCKER_SOCKET, findDockerSocket } from "../../../src/docker/socket-path.js";

const only =
  (...paths: string[]) =>
  async (p: string) =>
    paths.includes(p);

describe("finding the Docker socket", () => {
  it("should use docker.socket when it names a socket, even with DOCKER_HOST set", async () => {
    const found = await findDockerSocket({
      configured: "/run/a.sock",
      env: { DOCKER_HOST: "unix:///run/b.sock" },
      isSocket: only("/run/a.sock", "/run/b.sock"),
    });
    expect(found).toEqual({ found: true, path: "/run/a.sock", from: "docker.socket" });
  });

  it("should not fall back when the configured socket is missing, and say which one", async () => {
    const found = await findDockerSocket({ configured: "/run/a.sock", env: {}, isSocket: only(DEFAULT_DOCKER_SOCKET) });
    expect(found).toEqual({ found: false, reason: "no unix socket at /run/a.sock (docker.socket)" });
  });

  it("should use a unix:// DOCKER_HOST", async () => {
    const found = await findDockerSocket({ configured: undefined, env: { DOCKER_HOST: "unix:///run/b.sock" }, isSocket: only("/run/b.sock") });
    expect(found).toEqual({ found: true, path: "/run/b.sock", from: "DOCKER_HOST" });
  });

  it("should refuse a tcp:// DOCKER_HOST without repeating its address", async () => {
    const found = await findDockerSocket({ configured: undefined, env: { DOCKER_HOST: "tcp://user:pw@engine:2376" }, isSocket: only(DEFAULT_DOCKER_SOCKET) });
    expect(found.found).toBe(false);
    if (!found.found) {
      expect(found.reason).toBe("DOCKER_HOST is a tcp:// address; only unix:// sockets are supported");
      expect(found.reason).not.toContain("pw");
    }
  });

  it("should use the default socket when nothing is set and it exists", async () => {
    const found = await findDockerSocket({ configured: undefined, env: {}, isSocket: only(DEFAULT_DOCKER_SOCKET) });
    expect(found).toEqual({ found: true, path: DEFAULT_DOCKER_SOCKET, from: "default" });
  });

  it("should report no socket, not fail, when there is none anywhere", async () => {
    const found = await findDockerSocket({ configured: undefined, env: {}, isSocket: only() });
    expect(found).toEqual({ found: false, reason: `no unix socket at ${DEFAULT_DOCKER_SOCKET}, and neither docker.socket nor DOCKER_HOST is set` });
  });

  it("should not take a regular file for a socket", async () => {
    const found = await findDockerSocket({ configured: import.meta.filename, env: {} });
    expect(found.found).toBe(false);
  });
});
