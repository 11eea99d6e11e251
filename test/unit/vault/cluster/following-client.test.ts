import { describe, expect, it } from "vitest";
import { TimeoutError } from "../../../../src/errors.js";
import { ActiveNodeFollower } from "../../../../src/vault/cluster/active-node.js";
import type { ClusterClient } from "../../../../src/vault/cluster/cluster-client.js";
import { followingVaultClient } from "../../../../src/vault/cluster/following-client.js";
import type { VaultClient } from "../../../../src/vault/vault-client.js";

const http = (statusCode: number, message = `status ${statusCode}`) => Object.assign(new Error(message), { response: { statusCode } });
const refused = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

interface FakeApi {
  token: string;
  calls: string[];
  read(path: string): Promise<unknown>;
  write(path: string, body: unknown): Promise<unknown>;
}

function fakeNode(address: string, answer: (method: string, path: string, token: string) => unknown): VaultClient & { api: FakeApi } {
  const api: FakeApi = {
    token: "",
    calls: [],
    read(path) {
      this.calls.push(`read ${path}`);
      return Promise.resolve().then(() => answer("read", path, this.token));
    },
    write(path) {
      this.calls.push(`write ${path}`);
      return Promise.resolve().then(() => answer("write", path, this.token));
    },
  };
  return { api: api as never, address, serverName: "vault", caPem: "ca", close: () => {} } as VaultClient & { api: FakeApi };
}

function cluster(nodes: (VaultClient & { api: FakeApi })[], deadlineMs = 1_000): ClusterClient & { closed: number } {
  const follower = new ActiveNodeFollower<VaultClient>(nodes, { deadlineMs, roundPauseMs: 0 });
  const c = {
    follower,
    closed: 0,
    call: <T>(what: string, request: (client: VaultClient) => Promise<T>) => follower.call(what, request),
    callTracked: <T>(what: string, request: (client: VaultClient) => Promise<T>) => follower.callTracked(what, request),
    setToken: (token: string) => nodes.forEach((n) => (n.api.token = token)),
    close: () => void c.closed++,
  };
  return c;
}

describe("a VaultClient on the whole cluster", () => {
  it("should send a read past a dead node and a standby to the node that answers, with its arguments", async () => {
    const dead = fakeNode("https://a", () => Promise.reject(refused()));
    const standby = fakeNode("https://b", () => Promise.reject(http(429)));
    const active = fakeNode("https://c", (_m, path) => ({ data: { path } }));
    const client = followingVaultClient(cluster([dead, standby, active]), "https://vault:8200");
    expect(await client.api.read("secret/data/x")).toEqual({ data: { path: "secret/data/x" } });
    expect(client.address).toBe("https://vault:8200");
    expect([dead.api.calls, standby.api.calls, active.api.calls]).toEqual([["read secret/data/x"], ["read secret/data/x"], ["read secret/data/x"]]);
  });

  it("should carry a token set once to every node, and read it back", async () => {
    const nodes = ["https://a", "https://b", "https://c"].map((a) => fakeNode(a, (_m, _p, token) => token));
    const client = followingVaultClient(cluster(nodes), "https://vault:8200");
    client.api.token = "t-1";
    expect(nodes.map((n) => n.api.token)).toEqual(["t-1", "t-1", "t-1"]);
    expect(client.api.token).toBe("t-1");
    expect(await client.api.write("auth/token/create", {})).toBe("t-1");
  });

  it("should survive a leader change mid-call: the write goes to the node that took over", async () => {
    let leaderDead = false;
    const leader = fakeNode("https://a", () => {
      leaderDead = true;
      return Promise.reject(new Error("socket hang up"));
    });
    const follower = fakeNode("https://b", () => (leaderDead ? "written" : Promise.reject(http(307))));
    const client = followingVaultClient(cluster([leader, follower]), "https://vault:8200");
    expect(await client.api.write("secret/data/k", { data: {} })).toBe("written");
  });

  it("should throw a refusal at once, from the node that gave it, without asking the others", async () => {
    const a = fakeNode("https://a", () => Promise.reject(http(403, "permission denied")));
    const b = fakeNode("https://b", () => "never");
    const client = followingVaultClient(cluster([a, b]), "https://vault:8200");
    await expect(client.api.read("sys/x")).rejects.toThrow("permission denied");
    expect(b.api.calls).toEqual([]);
  });

  it("should fail at the deadline naming every node and the call", async () => {
    const nodes = ["https://a", "https://b"].map((a) => fakeNode(a, () => Promise.reject(refused())));
    const client = followingVaultClient(cluster(nodes, 50), "https://vault:8200");
    const error = await client.api.read("sys/seal-status").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/read sys\/seal-status.*https:\/\/a: .*https:\/\/b: /);
  });

  it("should say whether a tracked call went out more than once, on the node's own api", async () => {
    let leaderDead = false;
    const leader = fakeNode("https://a", () => {
      leaderDead = true;
      return Promise.reject(new Error("socket hang up"));
    });
    const next = fakeNode("https://b", () => (leaderDead ? "created" : Promise.reject(http(307))));
    const client = followingVaultClient(cluster([leader, next]), "https://vault:8200");
    expect(client.resendsCalls).toBe(true);
    expect(await client.callTracked!("create", (api) => api.write("auth/token/create/x", {}))).toEqual({ value: "created", resent: true });
    expect(await client.callTracked!("create", (api) => api.write("auth/token/create/x", {}))).toEqual({ value: "created", resent: false });
    expect([leader.api.calls, next.api.calls]).toEqual([["write auth/token/create/x"], ["write auth/token/create/x", "write auth/token/create/x"]]);
  });

  it("should close every node's client through the cluster", () => {
    const c = cluster([fakeNode("https://a", () => "x")]);
    followingVaultClient(c, "https://vault:8200").close();
    expect(c.closed).toBe(1);
  });
});
