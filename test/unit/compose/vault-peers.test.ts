// The compose Vault node's peer check (compose/entry/vault-peers.mjs): a node handed the
// `initialize` stanza on empty storage bootstraps only when no peer holds a cluster.
import { describe, expect, it } from "vitest";
import { choose, decide, peerAnswer, type PeerAnswer } from "../../../compose/entry/vault-peers.mjs";

const health = (initialized: boolean, sealed: boolean) => JSON.stringify({ initialized, sealed, standby: false });

describe("a peer's sys/health answer", () => {
  it("should count active, standby and sealed-but-initialized peers as initialized, from the body first", () => {
    expect(peerAnswer(200, health(true, false))).toBe("initialized");
    expect(peerAnswer(429, health(true, false))).toBe("initialized");
    expect(peerAnswer(503, health(true, true))).toBe("initialized");
    expect(peerAnswer(501, health(false, true))).toBe("uninitialized");
  });

  it("should fall back to OpenBao's default codes without a JSON body, and say unknown otherwise", () => {
    expect(peerAnswer(503, "")).toBe("initialized");
    expect(peerAnswer(429, "<html>")).toBe("initialized");
    expect(peerAnswer(501, undefined)).toBe("uninitialized");
    expect(peerAnswer(500, "")).toBe("unknown");
    expect(peerAnswer(undefined, undefined)).toBe("unknown");
  });
});

describe("the node's choice", () => {
  it("should join as soon as one peer is initialized, even before the others answer or past the deadline", () => {
    expect(decide({ "vault-1": "initialized", "vault-2": "unknown" }, false)).toBe("join");
    expect(decide({ "vault-1": "uninitialized", "vault-2": "initialized" }, true)).toBe("join");
  });

  it("should initialize at once when every peer answered uninitialized (a true first boot)", () => {
    expect(decide({ "vault-1": "uninitialized", "vault-2": "uninitialized" }, false)).toBe("initialize");
  });

  it("should wait for a silent peer until the deadline, then initialize", () => {
    expect(decide({ "vault-1": "uninitialized", "vault-2": "unknown" }, false)).toBe("wait");
    expect(decide({ "vault-1": "unknown", "vault-2": "unknown" }, true)).toBe("initialize");
  });
});

describe("asking the peers", () => {
  /** A clock that moves only when the check sleeps; each peer's answers in order, the last one repeated. */
  function fake(script: Record<string, PeerAnswer[]>) {
    let t = 0;
    const asked: Record<string, number> = {};
    const ask = async (peer: string) => {
      const i = (asked[peer] = (asked[peer] ?? 0) + 1) - 1;
      const answers = script[peer]!;
      return answers[Math.min(i, answers.length - 1)]!;
    };
    return { ask, asked, now: () => t, sleep: async (ms: number) => void (t += ms) };
  }

  it("should join when a peer that was not up yet comes up initialized (vault-0 wiped before the cluster was recorded)", async () => {
    const f = fake({ "vault-1": ["unknown", "unknown", "initialized"], "vault-2": ["unknown"] });
    const r = await choose(["vault-1", "vault-2"], f.ask, { waitMs: 60_000, pollMs: 1000, now: f.now, sleep: f.sleep });
    expect(r.choice).toBe("join");
    expect(f.asked["vault-1"]).toBe(3);
  });

  it("should initialize after the bound when a peer never answers and none is initialized", async () => {
    const f = fake({ "vault-1": ["uninitialized"], "vault-2": ["unknown"] });
    const r = await choose(["vault-1", "vault-2"], f.ask, { waitMs: 10_000, pollMs: 1000, now: f.now, sleep: f.sleep });
    expect(r).toEqual({ choice: "initialize", answers: { "vault-1": "uninitialized", "vault-2": "unknown" } });
    expect(f.now()).toBe(10_000);
  });

  it("should keep a peer's uninitialized answer when it goes silent (restarting), so the first boot does not wait the bound", async () => {
    const f = fake({ "vault-1": ["uninitialized", "unknown"], "vault-2": ["unknown", "unknown", "uninitialized"] });
    const r = await choose(["vault-1", "vault-2"], f.ask, { waitMs: 60_000, pollMs: 1000, now: f.now, sleep: f.sleep });
    expect(r.choice).toBe("initialize");
    expect(f.now()).toBe(2000);
  });
});
