import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";
import { tempDir } from "../../support/tmp-dir.js";

const withVault = (vault: string, rest = "") => `services:\n  - name: vault\n    uid: 100\n    gid: 1000\n    dns: [vault.internal]\n${rest}vault:\n${vault}`;

describe("vault.cluster and vault.snapshots", () => {
  it("should default to one node, no node services, and snapshots kept in the state folder", () => {
    const c = parseConfig("services:\n  - name: vault\n");
    expect(c.vault.cluster).toEqual({ nodes: 1, names: [], addresses: [] });
    expect(c.services.map((s) => s.name)).toEqual(["vault"]);
    expect(c.vault.snapshots).toEqual({ keep: 30, dir: "/etc/bg/state/snapshots" });
  });

  it("should make each of 3 nodes a service named vault-N that carries the shared name and the vault service's owner", () => {
    const c = parseConfig(withVault("  cluster:\n    nodes: 3\n"));
    expect(c.vault.cluster.names).toEqual(["vault-0", "vault-1", "vault-2"]);
    const nodes = c.services.filter((s) => s.name.startsWith("vault-"));
    expect(nodes.map((s) => s.name)).toEqual(["vault-0", "vault-1", "vault-2"]);
    for (const node of nodes) expect(node).toMatchObject({ dns: ["vault", "vault.internal"], uid: 100, gid: 1000 });
  });

  it("should keep a declared node service and add the shared name to it", () => {
    const c = parseConfig(withVault("  cluster:\n    nodes: 3\n    names: [a, b, c]\n", "  - name: b\n    uid: 7\n"));
    expect(c.services.find((s) => s.name === "b")).toMatchObject({ dns: ["vault"], uid: 7 });
    expect(c.services.filter((s) => ["a", "b", "c"].includes(s.name))).toHaveLength(3);
  });

  it("should take 5 nodes and the snapshot schedule in milliseconds", () => {
    const c = parseConfig(withVault("  cluster: { nodes: 5 }\n  snapshots: { every: 1h, keep: 3, dir: /backup/vault }\n"));
    expect(c.vault.cluster.names).toHaveLength(5);
    expect(c.vault.snapshots).toEqual({ everyMs: 3_600_000, keep: 3, dir: "/backup/vault" });
  });

  it.each([2, 4, 0, 7])("should refuse %i nodes naming vault.cluster.nodes", (n) => {
    const e = configRefusal(withVault(`  cluster:\n    nodes: ${n}\n`));
    expect(e.issues).toEqual([{ path: "vault.cluster.nodes", message: expect.stringMatching(/1, 3 or 5 nodes.*got `\d`/) }]);
  });

  it("should refuse duplicate node names, naming the second", () => {
    const e = configRefusal(withVault("  cluster:\n    nodes: 3\n    names: [n-a, n-b, n-a]\n"));
    expect(e.issues).toEqual([{ path: "vault.cluster.names.2", message: expect.stringContaining("also vault.cluster.names.0") }]);
  });

  it("should refuse a count of names that is not the count of nodes", () => {
    const e = configRefusal(withVault("  cluster:\n    nodes: 3\n    names: [n-a, n-b]\n"));
    expect(e.issues).toEqual([{ path: "vault.cluster.names", message: "expected 3 node names (vault.cluster.nodes), got 2" }]);
  });

  it("should refuse the shared vault service name as a node name", () => {
    const e = configRefusal(withVault("  cluster:\n    nodes: 3\n    names: [vault, n-b, n-c]\n"));
    expect(e.issues).toEqual([{ path: "vault.cluster.names.0", message: expect.stringContaining("other than `vault`") }]);
  });

  it.each([
    ["inside it", "/etc/bg/secrets-volume/snapshots"],
    ["the volume itself", "./secrets-volume"],
    ["inside it from the environment's secrets folder", "/run/secrets/x"],
  ])("should refuse a snapshot folder on the secrets volume (%s)", (_, dir) => {
    const e = configRefusal(withVault(`  snapshots:\n    dir: ${dir}\n`), dir.startsWith("/run") ? { BOOTGATE_SECRETS_DIR: "/run/secrets" } : {});
    expect(e.issues).toEqual([{ path: "vault.snapshots.dir", message: expect.stringContaining("outside the secrets volume") }]);
  });

  it("should take a snapshot folder beside the secrets volume whose name merely starts the same", () => {
    expect(parseConfig(withVault("  snapshots:\n    dir: ./secrets-volume-backup\n")).vault.snapshots.dir).toBe("/etc/bg/secrets-volume-backup");
  });

  it("should refuse a keep of 0 and an unknown key", () => {
    const e = configRefusal(withVault("  snapshots:\n    keep: 0\n  cluster:\n    size: 3\n"));
    expect(e.issues.map((i) => i.path).sort()).toEqual(["vault.cluster", "vault.snapshots.keep"]);
  });

  it("should place 3 local nodes beside a loopback vault.address: its port, +2, +4 (each +1 is that node's cluster port)", () => {
    const c = parseConfig(withVault("  address: https://127.0.0.1:18300\n  cluster: { nodes: 3 }\n"));
    expect(c.vault.cluster.addresses).toEqual(["https://127.0.0.1:18300", "https://127.0.0.1:18302", "https://127.0.0.1:18304"]);
  });

  it("should reach each compose node by its own name on vault.address's port", () => {
    const c = parseConfig(withVault("  address: https://vault:8200\n  cluster: { nodes: 3, names: [bao-a, bao-b, bao-c] }\n"));
    expect(c.vault.cluster.addresses).toEqual(["https://bao-a:8200", "https://bao-b:8200", "https://bao-c:8200"]);
  });

  it("should take the node addresses as written", () => {
    const c = parseConfig(withVault("  cluster:\n    nodes: 3\n    addresses: [https://h1:9200/, https://h2:9200, https://h3:9300]\n"));
    expect(c.vault.cluster.addresses).toEqual(["https://h1:9200", "https://h2:9200", "https://h3:9300"]);
  });

  it.each([
    ["too few", "[https://a:1, https://b:1]", "vault.cluster.addresses", /expected 3 node addresses .*got 2/],
    ["a duplicate", "[https://a:1, https://b:1, https://a:1/]", "vault.cluster.addresses.2", /unique node address.*vault\.cluster\.addresses\.0/],
    ["plain http", "[https://a:1, http://b:1, https://c:1]", "vault.cluster.addresses.1", /https:\/\/ URL/],
  ])("should refuse node addresses with %s, naming the field", (_, list, path, message) => {
    const e = configRefusal(withVault(`  cluster:\n    nodes: 3\n    addresses: ${list}\n`));
    expect(e.issues).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  it("should refuse a Shamir seal on a cluster (a joining node must unseal itself), naming vault.seal", () => {
    const e = configRefusal(withVault("  seal: shamir\n  cluster: { nodes: 3 }\n"));
    expect(e.issues).toEqual([{ path: "vault.seal", message: expect.stringContaining("got `shamir`") }]);
  });

  it.each([
    ["nodes: 2", "  cluster: { nodes: 2 }\n", "vault.cluster.nodes:"],
    ["a node address that is not a URL", "  cluster: { nodes: 3, addresses: [x, https://b:1, https://c:1] }\n", "vault.cluster.addresses.0:"],
    ["duplicate names", "  cluster: { nodes: 3, names: [a, a, b] }\n", "vault.cluster.names.1:"],
    ["a snapshot folder on the tmpfs", "  snapshots: { dir: ./secrets/snap }\n", "vault.snapshots.dir:"],
  ])("should exit 2 from `bootgate run` naming the file and field, and write nothing, for %s", async (_, vault, field) => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\nservices:\n  - name: vault\nvault:\n${vault}`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain(field);
    expect(await readdir(dir.path)).toEqual(["bootgate.yaml"]);
  });
});
