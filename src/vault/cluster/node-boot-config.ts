// Each cluster node's own OpenBao boot config (`<secretsDir>/<node>/openbao.json`), made from the
// vault service's one (seal + self-init, src/vault/server-boot-config.ts): the same static seal
// for every node, so a joining node unseals itself, and the `initialize` stanza for the chosen
// initializer only (src/vault/cluster/initializer.ts).
import { readFile } from "node:fs/promises";
import type { Config } from "../../config/normalize.js";
import { writeFileAtomic } from "../../fs/atomic-write.js";
import { ensureServiceDir } from "../../fs/service-dir.js";
import { vaultBootConfigFile } from "../../volume/layout.js";
import { vaultBootConfigPath } from "../server-boot-config.js";

export function nodeBootConfig(shared: Record<string, unknown>, initializes: boolean): Record<string, unknown> {
  if (initializes) return shared;
  const { initialize: _dropped, ...rest } = shared;
  return rest;
}

/** Writes every node's boot config; returns the file per node name. */
export async function writeNodeBootConfigs(config: Config, initializer: string | undefined): Promise<Map<string, string>> {
  const shared = JSON.parse(await readFile(vaultBootConfigPath(config), "utf8")) as Record<string, unknown>;
  const files = new Map<string, string>();
  for (const name of config.vault.cluster.names) {
    const service = config.services.find((s) => s.name === name);
    if (!service) throw new Error(`no service \`${name}\` for the cluster node (vault.cluster.names)`);
    await ensureServiceDir(config.secretsDir, service);
    const file = vaultBootConfigFile(config.secretsDir, name);
    const body = JSON.stringify(nodeBootConfig(shared, name === initializer), null, 2) + "\n";
    await writeFileAtomic(file, body, { mode: 0o600, uid: service.uid, gid: service.gid });
    files.set(name, file);
  }
  return files;
}
