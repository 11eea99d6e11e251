import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../../src/config/load.js";
import { chooseInitializer, hasRaftStorage } from "../../../../src/vault/cluster/initializer.js";
import { nodeBootConfig, writeNodeBootConfigs } from "../../../../src/vault/cluster/node-boot-config.js";
import { retryJoinHcl } from "../../../../src/vault/cluster/retry-join.js";
import { vaultBootConfigPath } from "../../../../src/vault/server-boot-config.js";
import { tempDir } from "../../../support/tmp-dir.js";

describe("which node initializes the cluster", () => {
  it("should pick the first node when no node has storage", () => {
    expect(
      chooseInitializer([
        { name: "vault-0", hasStorage: false },
        { name: "vault-1", hasStorage: false },
      ]),
    ).toBe("vault-0");
  });

  it("should pick none once any node has storage, even with the first one wiped", () => {
    expect(
      chooseInitializer([
        { name: "vault-0", hasStorage: false },
        { name: "vault-1", hasStorage: true },
        { name: "vault-2", hasStorage: false },
      ]),
    ).toBeUndefined();
  });

  it("should see raft storage by raft.db or vault.db, and none in an empty or missing folder", async () => {
    await using dir = await tempDir();
    expect(await hasRaftStorage(join(dir.path, "missing"))).toBe(false);
    await mkdir(join(dir.path, "a", "raft"), { recursive: true });
    expect(await hasRaftStorage(join(dir.path, "a"))).toBe(false);
    await writeFile(join(dir.path, "a", "raft", "raft.db"), "");
    expect(await hasRaftStorage(join(dir.path, "a"))).toBe(true);
    await mkdir(join(dir.path, "b"));
    await writeFile(join(dir.path, "b", "vault.db"), "");
    expect(await hasRaftStorage(join(dir.path, "b"))).toBe(true);
  });
});

describe("a node's retry_join blocks", () => {
  it("should name every other node, verified by its own name against the stack's CA", () => {
    const hcl = retryJoinHcl(
      "vault-1",
      [
        { name: "vault-0", apiAddr: "https://127.0.0.1:1" },
        { name: "vault-1", apiAddr: "https://127.0.0.1:2" },
        { name: "vault-2", apiAddr: "https://127.0.0.1:3" },
      ],
      "/s/ca/ca.pem",
    );
    expect(hcl.match(/retry_join \{/g)).toHaveLength(2);
    expect(hcl).toContain('leader_api_addr = "https://127.0.0.1:1"\n    leader_tls_servername = "vault-0"\n    leader_ca_cert_file = "/s/ca/ca.pem"');
    expect(hcl).toContain('leader_tls_servername = "vault-2"');
    expect(hcl).not.toContain("vault-1");
  });
});

describe("each node's boot config", () => {
  const shared = { seal: { static: { current_key_id: "bootgate-1" } }, initialize: [{ bootgate: {} }] };

  it("should keep the initialize stanza for the initializer only, and the seal for all", () => {
    expect(nodeBootConfig(shared, true)).toEqual(shared);
    expect(nodeBootConfig(shared, false)).toEqual({ seal: shared.seal });
  });

  it("should write one file per node into its own folder, 0600", async () => {
    await using dir = await tempDir();
    const config = parseConfigText(`secretsDir: ./s\nservices: [{ name: vault }]\nvault: { cluster: { nodes: 3 } }\n`, {
      source: "t.yaml",
      baseDir: dir.path,
      env: {},
    });
    await mkdir(join(dir.path, "s", "vault"), { recursive: true });
    await writeFile(vaultBootConfigPath(config), JSON.stringify(shared));
    const files = await writeNodeBootConfigs(config, "vault-0");
    expect([...files.keys()]).toEqual(["vault-0", "vault-1", "vault-2"]);
    expect(JSON.parse(await readFile(files.get("vault-0")!, "utf8"))).toEqual(shared);
    expect(JSON.parse(await readFile(files.get("vault-2")!, "utf8"))).toEqual({ seal: shared.seal });
    expect(files.get("vault-1")).toBe(join(dir.path, "s", "vault-1", "openbao.json"));
    expect((await stat(files.get("vault-1")!)).mode & 0o777).toBe(0o600);
  });
});
