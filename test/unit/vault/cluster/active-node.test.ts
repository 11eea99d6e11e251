import { describe, expect, it } from "vitest";
import { RequestError, TimeoutError } from "../../../../src/errors.js";
import { ActiveNodeFollower, isNotActiveHere } from "../../../../src/vault/cluster/active-node.js";

const http = (statusCode: number, message = `status ${statusCode}`) => Object.assign(new Error(message), { response: { statusCode } });
const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });

interface FakeNode {
  address: string;
  answers: (() => unknown)[];
  calls: number;
}
const node = (address: string, ...answers: (() => unknown)[]): FakeNode => ({ address, answers, calls: 0 });
const ask = (n: FakeNode) => {
  const answer = n.answers[Math.min(n.calls, n.answers.length - 1)]!;
  n.calls++;
  return Promise.resolve().then(answer);
};

describe("following the active Vault node", () => {
  it.each([
    ["a refused connection", refused()],
    ["a standby's 429", http(429)],
    ["a redirect to the active node", http(307)],
    ["a sealed or standby 503", http(503)],
    ["a standby that lost the leader", http(500, "local node not active but active cluster node not found")],
    ["kv-v2 upgrading on a new active node", http(400, "Waiting for the primary to upgrade from non-versioned to versioned data.")],
    ["a socket hang up", new Error("socket hang up")],
    // compose: a stopped (or not yet started) node's name is not in Docker's DNS.
    ["a node whose name does not resolve", Object.assign(new Error("getaddrinfo ENOTFOUND vault-1"), { code: "ENOTFOUND" })],
    // bootgate's own https calls (the raft snapshot API) throw RequestErrors, not node-vault's.
    ["a standby's 307 to a raft snapshot request", new RequestError("Vault at https://a", "GET sys/storage/raft/snapshot", "HTTP 307: ", { statusCode: 307 })],
    [
      "a raft snapshot request to a dead node",
      new RequestError("Vault at https://a", "GET sys/storage/raft/snapshot", "connect ECONNREFUSED", { code: "ECONNREFUSED" }),
    ],
  ])("should try another node on %s", (_, error) => {
    expect(isNotActiveHere(error)).toBe(true);
  });

  it.each([
    ["a refusal", http(403, "permission denied")],
    ["a bad request", http(400, "invalid path")],
    ["an internal error of another kind", http(500, "internal error")],
    ["a TLS mismatch", Object.assign(new Error("Hostname/IP does not match"), { code: "ERR_TLS_CERT_ALTNAME_INVALID" })],
    ["a raft snapshot refused", new RequestError("Vault at https://a", "GET sys/storage/raft/snapshot", "HTTP 403: permission denied", { statusCode: 403 })],
  ])("should take %s as the answer", (_, error) => {
    expect(isNotActiveHere(error)).toBe(false);
  });

  it("should move past a dead node and a standby to the active one, and ask that one first next time", async () => {
    const dead = node("a", () => Promise.reject(refused()));
    const standby = node("b", () => Promise.reject(http(429)));
    const active = node("c", () => "ok");
    const follower = new ActiveNodeFollower([dead, standby, active], { deadlineMs: 1_000, roundPauseMs: 0 });
    expect(await follower.call("read", ask)).toBe("ok");
    expect(follower.current.address).toBe("c");
    expect(await follower.call("read again", ask)).toBe("ok");
    expect([dead.calls, standby.calls, active.calls]).toEqual([1, 1, 2]);
  });

  it("should wait out an election: rounds with no active node, then the new leader answers", async () => {
    const a = node("a", () => Promise.reject(refused()));
    const b = node(
      "b",
      () => Promise.reject(http(500, "local node not active but active cluster node not found")),
      () => Promise.reject(http(500, "local node not active but active cluster node not found")),
      () => "written",
    );
    const follower = new ActiveNodeFollower([a, b], { deadlineMs: 5_000, roundPauseMs: 0 });
    expect(await follower.call("write", ask)).toBe("written");
    expect(b.calls).toBe(3);
    expect(follower.current.address).toBe("b");
  });

  it("should say a call was resent after any failed attempt, and not when the first node answered", async () => {
    const a = node(
      "a",
      () => Promise.reject(new Error("socket hang up")),
      () => "second",
    );
    const b = node("b", () => "created");
    const follower = new ActiveNodeFollower([a, b], { deadlineMs: 1_000, roundPauseMs: 0 });
    expect(await follower.callTracked("create", ask)).toEqual({ value: "created", resent: true });
    expect(await follower.callTracked("create", ask)).toEqual({ value: "created", resent: false });
    // A refused connection counts too: a standby may have forwarded it to a leader that then died.
    const c = node("c", () => Promise.reject(refused()));
    const d = node("d", () => "created");
    expect(await new ActiveNodeFollower([c, d], { deadlineMs: 1_000, roundPauseMs: 0 }).callTracked("create", ask)).toEqual({ value: "created", resent: true });
  });

  it("should throw a refusal at once without asking the other nodes", async () => {
    const a = node("a", () => Promise.reject(http(403, "permission denied")));
    const b = node("b", () => "never");
    const follower = new ActiveNodeFollower([a, b], { deadlineMs: 1_000, roundPauseMs: 0 });
    await expect(follower.call("write", ask)).rejects.toThrow("permission denied");
    expect(b.calls).toBe(0);
  });

  it("should give up at the deadline naming every node and what it answered", async () => {
    const follower = new ActiveNodeFollower(
      [node("https://n0", () => Promise.reject(refused())), node("https://n1", () => Promise.reject(http(503, "Vault is sealed")))],
      {
        deadlineMs: 0,
        roundPauseMs: 0,
      },
    );
    const error = await follower.call("write the policy", ask).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toContain("an active Vault node to write the policy");
    expect((error as Error).message).toMatch(/https:\/\/n0: .*ECONNREFUSED.*https:\/\/n1: HTTP 503: Vault is sealed/);
  });

  it("should refuse to be made with no node", () => {
    expect(() => new ActiveNodeFollower([], { deadlineMs: 0, roundPauseMs: 0 })).toThrow("at least one node");
  });
});

describe("asking the active node first", () => {
  it("should look for the active node at the start and after a failure, not trust a standby that answers", async () => {
    const standby = node("a", () => "stale");
    const active = node("b", () => "fresh");
    const probes: string[] = [];
    let activeNow = "b";
    const follower = new ActiveNodeFollower([standby, active], {
      deadlineMs: 1_000,
      roundPauseMs: 0,
      isActive: (n) => {
        probes.push(n.address);
        return Promise.resolve(n.address === activeNow);
      },
    });
    expect(await follower.call("read", ask)).toBe("fresh");
    expect(await follower.call("read", ask)).toBe("fresh");
    expect(probes).toEqual(["a", "b"]);
    // b dies; a is the active node now.
    active.answers = [() => Promise.reject(refused())];
    activeNow = "a";
    expect(await follower.call("read", ask)).toBe("stale");
    expect(follower.current.address).toBe("a");
  });

  it("should ask in order when no node says it is active", async () => {
    const a = node("a", () => "a answered");
    const follower = new ActiveNodeFollower([a, node("b", () => "b")], { deadlineMs: 1_000, roundPauseMs: 0, isActive: () => Promise.reject(refused()) });
    expect(await follower.call("read", ask)).toBe("a answered");
  });
});
