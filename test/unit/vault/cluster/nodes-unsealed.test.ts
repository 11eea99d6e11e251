// The wait before vault-ready on a cluster, with scripted node answers (the probe is the seam;
// the real one asks each node's sys/seal-status, test/e2e/compose-vault-cluster.test.ts).
import { describe, expect, it } from "vitest";
import { type NodeState, waitForNodesUnsealed } from "../../../../src/vault/cluster/nodes-unsealed.js";

/** Each node answers the states in order, then its last one forever; counts the rounds. */
function scripted(script: Record<string, NodeState[]>) {
  const asked: Record<string, number> = {};
  const probe = async (name: string) => {
    const i = asked[name] ?? 0;
    asked[name] = i + 1;
    const states = script[name]!;
    return { state: states[Math.min(i, states.length - 1)]!, detail: "scripted" };
  };
  return { probe, asked };
}

describe("waiting for every answering node to be unsealed", () => {
  it("should wait while a node is still joining (sealed) and return once it is unsealed", async () => {
    const { probe, asked } = scripted({ "vault-0": ["unsealed"], "vault-1": ["sealed", "sealed", "unsealed"], "vault-2": ["unsealed"] });
    const result = await waitForNodesUnsealed(["vault-0", "vault-1", "vault-2"], probe, { timeoutMs: 60_000, unreachableGraceMs: 60_000, intervalMs: 1 });
    expect(result).toEqual({ unsealed: ["vault-0", "vault-1", "vault-2"], down: [], sealed: [] });
    expect(asked["vault-1"]).toBe(3);
  });

  it("should skip a node that never answers once its grace is over, saying so, and not fail", async () => {
    const { probe } = scripted({ "vault-0": ["unsealed"], "vault-1": ["unreachable"], "vault-2": ["unsealed"] });
    const lines: string[] = [];
    const result = await waitForNodesUnsealed(["vault-0", "vault-1", "vault-2"], probe, {
      timeoutMs: 60_000,
      unreachableGraceMs: 20,
      intervalMs: 1,
      log: (l) => lines.push(l),
    });
    expect(result).toEqual({ unsealed: ["vault-0", "vault-2"], down: ["vault-1"], sealed: [] });
    expect(lines).toEqual([expect.stringMatching(/^vault node vault-1 does not answer \(scripted\): vault-ready opens without it$/)]);
  });

  it("should give up on a node that stays sealed at the bound, naming it, and return the others", async () => {
    const { probe } = scripted({ "vault-0": ["unsealed"], "vault-1": ["sealed"] });
    const lines: string[] = [];
    const result = await waitForNodesUnsealed(["vault-0", "vault-1"], probe, {
      timeoutMs: 20,
      unreachableGraceMs: 20,
      intervalMs: 1,
      log: (l) => lines.push(l),
    });
    expect(result).toEqual({ unsealed: ["vault-0"], down: [], sealed: ["vault-1"] });
    expect(lines).toEqual([expect.stringMatching(/^vault node vault-1 still sealed after 20 ms/)]);
  });

  it("should take a node that answers late (a container still starting) within its grace", async () => {
    const { probe } = scripted({ "vault-0": ["unsealed"], "vault-1": ["unreachable", "sealed", "unsealed"] });
    const result = await waitForNodesUnsealed(["vault-0", "vault-1"], probe, { timeoutMs: 60_000, unreachableGraceMs: 60_000, intervalMs: 1 });
    expect(result.unsealed).toEqual(["vault-0", "vault-1"]);
  });
});
