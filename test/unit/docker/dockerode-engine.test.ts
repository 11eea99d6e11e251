// DockerodeEngine against a small HTTP server on a unix socket that answers like the engine's
// API (the real engine is exercised in test/e2e/docker-client.test.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DockerodeEngine } from "../../../src/docker/dockerode-engine.js";
import { isTransient, RequestError } from "../../../src/errors.js";
import { tempDir } from "../../support/tmp-dir.js";

const INSPECT = {
  Id: "abc123",
  Name: "/stack-vault-1",
  Config: { Labels: { "com.docker.compose.project": "stack", "com.docker.compose.service": "vault" } },
  State: {
    Status: "exited",
    Running: false,
    ExitCode: 3,
    StartedAt: "2026-11-24T00:00:00.1Z",
    FinishedAt: "0001-01-01T00:00:00Z",
    Health: { Status: "unhealthy" },
  },
  // A subpath mount (long syntax, in HostConfig.Mounts), a whole one through Binds, and a bind mount.
  HostConfig: { Mounts: [{ Type: "volume", Source: "stack_secrets", Target: "/secrets/vault", VolumeOptions: { Subpath: "vault" } }] },
  Mounts: [
    { Type: "volume", Name: "stack_secrets", Source: "/var/lib/docker/volumes/stack_secrets/_data", Destination: "/secrets/vault" },
    { Type: "volume", Name: "stack_vault-data", Source: "/var/lib/docker/volumes/stack_vault-data/_data", Destination: "/var/lib/openbao" },
    { Type: "bind", Source: "/srv/vault.hcl", Destination: "/etc/openbao/vault.hcl" },
  ],
};

async function engineOn(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const dir = await tempDir();
  const socketPath = join(dir.path, "docker.sock");
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    engine: new DockerodeEngine({ socketPath, timeoutMs: 2_000 }),
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await dir[Symbol.asyncDispose]();
    },
  };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

describe("the dockerode engine", () => {
  it("should list by labels with GET only and narrow what inspect says", async () => {
    const seen: string[] = [];
    await using e = await engineOn((req, res) => {
      seen.push(`${req.method} ${decodeURIComponent(req.url ?? "")}`);
      if (req.url?.startsWith("/containers/json")) return json(res, 200, [{ Id: "abc123" }]);
      if (req.url === "/containers/abc123/json") return json(res, 200, INSPECT);
      json(res, 404, { message: "no such container" });
    });
    const found = await e.engine.listByLabels(["com.docker.compose.project=stack"]);
    expect(found).toEqual([
      {
        id: "abc123",
        name: "stack-vault-1",
        project: "stack",
        service: "vault",
        status: "exited",
        exitCode: 3,
        health: "unhealthy",
        startedAt: "2026-11-24T00:00:00.1Z",
        finishedAt: undefined,
        labels: INSPECT.Config.Labels,
        volumes: [
          { volume: "stack_secrets", target: "/secrets/vault", subpath: "vault" },
          { volume: "stack_vault-data", target: "/var/lib/openbao", subpath: undefined },
        ],
      },
    ]);
    expect(seen[0]).toMatch(/^GET \/containers\/json\?all=true&filters=\{"label":\["com.docker.compose.project=stack"\]\}$/);
    expect(seen.every((s) => s.startsWith("GET "))).toBe(true);
  });

  it("should answer undefined for a container the engine does not have", async () => {
    await using e = await engineOn((_req, res) => json(res, 404, { message: "No such container: x" }));
    expect(await e.engine.inspect("x")).toBeUndefined();
  });

  it("should send a signal with POST /containers/{id}/kill", async () => {
    const seen: string[] = [];
    await using e = await engineOn((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(204).end();
    });
    await e.engine.signal("abc123", "SIGHUP");
    expect(seen).toEqual(["POST /containers/abc123/kill?signal=SIGHUP"]);
  });

  it("should name the socket, the action and the engine's answer when it fails", async () => {
    await using e = await engineOn((_req, res) => json(res, 500, { message: "engine on fire" }));
    const error = await e.engine.listByLabels([]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toBe(`docker engine at ${e.socketPath}: list containers failed: HTTP 500: (HTTP code 500) server error - engine on fire`);
    expect(isTransient(error)).toBe(false);
  });

  it("should call a connection the engine drops a transient failure", async () => {
    await using e = await engineOn((req) => req.socket.destroy());
    const error = await e.engine.signal("abc123", "SIGHUP").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RequestError);
    expect(isTransient(error)).toBe(true);
  });

  it("should give up on an engine that never answers, after its budget, as a transient failure", async () => {
    await using e = await engineOn(() => {});
    const engine = new DockerodeEngine({ socketPath: e.socketPath, timeoutMs: 100 });
    const error = await engine.inspect("abc123").catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RequestError);
    expect((error as Error).message).toContain("inspect container abc123 failed");
    expect(isTransient(error)).toBe(true);
  });

  it("should say the socket refuses connections when nothing listens on it", async () => {
    await using dir = await tempDir();
    const engine = new DockerodeEngine({ socketPath: join(dir.path, "none.sock"), timeoutMs: 1_000 });
    const error = await engine.listByLabels([]).catch((err: unknown) => err);
    expect((error as Error).message).toContain("none.sock: list containers failed: no socket there");
  });
});
