// Who self-initializes a compose cluster: bootgate, from its state folder, never a node from its
// own storage. The boot sequence is driven as pki-init and secretstore-setup drive it (boot
// configs written, then the cluster recorded after the login), with a crash in between.
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../../src/config/load.js";
import type { Config } from "../../../../src/config/normalize.js";
import { initializerFor, readClusterMarker, recordCluster, writeClusterMarker } from "../../../../src/vault/cluster/init-marker.js";
import { writeNodeBootConfigs } from "../../../../src/vault/cluster/node-boot-config.js";
import { vaultBootConfigPath } from "../../../../src/vault/server-boot-config.js";
import { clusterMarkerPath } from "../../../../src/volume/layout.js";
import { tempDir } from "../../../support/tmp-dir.js";

const shared = { seal: { static: { current_key_id: "bootgate-1" } }, initialize: [{ bootgate: {} }] };

async function stack(dir: string): Promise<Config> {
  const config = parseConfigText(`secretsDir: ./s\nstateDir: ./state\nservices: [{ name: vault }]\nvault: { cluster: { nodes: 3 } }\n`, {
    source: "t.yaml",
    baseDir: dir,
    env: {},
  });
  await mkdir(join(dir, "s", "vault"), { recursive: true });
  await writeFile(vaultBootConfigPath(config), JSON.stringify(shared));
  return config;
}

/** pki-init's part: each node's file, with the stanza where bootgate says. Returns the nodes that got it. */
async function bootConfigs(config: Config): Promise<string[]> {
  const files = await writeNodeBootConfigs(config, initializerFor(config, await readClusterMarker(config.stateDir)));
  const withStanza: string[] = [];
  for (const [name, file] of files) if ("initialize" in JSON.parse(await readFile(file, "utf8"))) withStanza.push(name);
  return withStanza;
}

describe("the cluster marker: which node self-initializes", () => {
  it("should give the stanza to the first node on the first boot, and to none once the cluster is recorded", async () => {
    await using dir = await tempDir();
    const config = await stack(dir.path);
    expect(await bootConfigs(config)).toEqual(["vault-0"]);
    expect(await recordCluster(config, "id-1")).toBe(true);
    expect(JSON.parse(await readFile(clusterMarkerPath(config.stateDir), "utf8"))).toEqual({ clusterId: "id-1" });
    expect((await stat(clusterMarkerPath(config.stateDir))).mode & 0o777).toBe(0o600);
    // Every later boot — vault-0's volume wiped or not: no node's storage is asked — joins.
    expect(await bootConfigs(config)).toEqual([]);
    expect(await recordCluster(config, "id-1")).toBe(false);
  });

  it("should, after a crash between self-init and the marker, hand the stanza to the same first node only, and record the cluster then", async () => {
    await using dir = await tempDir();
    const config = await stack(dir.path);
    expect(await bootConfigs(config)).toEqual(["vault-0"]);
    // vault-0 self-initialized (cluster id-1), then init was killed before secretstore-setup's login: no marker.
    expect(await readClusterMarker(config.stateDir)).toBeUndefined();
    // Next boot: the same node gets the stanza again (on its initialized storage OpenBao ignores
    // it), no other node does, so nothing can bootstrap a second cluster beside it.
    expect(await bootConfigs(config)).toEqual(["vault-0"]);
    expect(await recordCluster(config, "id-1")).toBe(true);
    expect(await bootConfigs(config)).toEqual([]);
  });

  it("should refuse a cluster whose id is not the recorded one, naming the marker, and keep the marker", async () => {
    await using dir = await tempDir();
    const config = await stack(dir.path);
    await writeClusterMarker(config.stateDir, { clusterId: "id-1" });
    await expect(recordCluster(config, "id-2")).rejects.toThrow(/cluster is id-2, not id-1 recorded in .*cluster\.json.*second cluster/);
    expect(await readClusterMarker(config.stateDir)).toEqual({ clusterId: "id-1" });
    await expect(recordCluster(config, undefined)).rejects.toThrow(/no cluster_id/);
  });

  it("should refuse a marker it cannot read as one, naming the file", async () => {
    await using dir = await tempDir();
    const config = await stack(dir.path);
    await mkdir(join(config.stateDir, "vault"), { recursive: true });
    await writeFile(clusterMarkerPath(config.stateDir), "{}");
    await expect(readClusterMarker(config.stateDir)).rejects.toThrow(/cluster\.json: expected/);
  });
});
