import { describe, expect, it } from "vitest";
import { nodeRows } from "../../../src/status/vault-nodes-status.js";

const nodes = ["vault-0", "vault-1", "vault-2"].map((name, i) => ({ name, address: `https://127.0.0.1:${8200 + 2 * i}` }));

describe("a Vault cluster's rows in bootgate status", () => {
  it("should join each node's own answer with raft's members and autopilot's last contact", () => {
    const rows = nodeRows(
      nodes,
      [
        { reachable: true, sealed: false },
        { reachable: false, error: "ECONNREFUSED" },
        { reachable: true, sealed: false },
      ],
      {
        servers: [
          { node_id: "vault-0", address: "127.0.0.1:8201", leader: false, voter: true },
          { node_id: "vault-1", address: "127.0.0.1:8203", leader: false, voter: true },
          { node_id: "vault-2", address: "127.0.0.1:8205", leader: true, voter: true },
        ],
        autopilot: {
          "vault-0": { name: "vault-0", status: "voter", healthy: true, last_contact: "0.4s" },
          "vault-1": { name: "vault-1", status: "voter", healthy: false, last_contact: "12.1s" },
          "vault-2": { name: "vault-2", status: "leader", healthy: true, last_contact: "0s" },
        },
      },
    );
    expect(rows.map((r) => [r.name, r.reachable, r.sealed, r.voter, r.leader, r.lastContact, r.healthy])).toEqual([
      ["vault-0", true, false, true, false, "0.4s", true],
      ["vault-1", false, undefined, true, false, "12.1s", false],
      ["vault-2", true, false, true, true, "0s", true],
    ]);
    expect(rows[1]!.error).toBe("ECONNREFUSED");
  });

  it("should say a node raft does not list is no voter, and leave raft's columns out when raft could not be read", () => {
    const seals = nodes.map(() => ({ reachable: true, sealed: true }));
    const rows = nodeRows(nodes, seals, { servers: [{ node_id: "vault-0", address: "x", leader: true, voter: true }], autopilot: {} });
    expect(rows.map((r) => [r.voter, r.leader, r.lastContact])).toEqual([
      [true, true, undefined],
      [false, false, undefined],
      [false, false, undefined],
    ]);
    const unread = nodeRows(nodes, seals, undefined);
    expect(unread.every((r) => r.voter === undefined && r.leader === undefined)).toBe(true);
  });
});
