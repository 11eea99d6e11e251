// bootgate snapshot save [--out FILE] | restore FILE: encrypted raft snapshots of Vault
// (src/vault/cluster/snapshot.ts). Thin: parse, call, print.
import { resolve } from "node:path";
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { restoreVaultSnapshot, saveVaultSnapshot } from "../vault/cluster/snapshot.js";
import { parse, secretsDirFlag } from "./options.js";

export const SNAPSHOT_USAGE = "usage: bootgate snapshot save [--out FILE] | bootgate snapshot restore FILE   [--config FILE] [--secrets-dir DIR] [--json]";

export async function snapshotCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("snapshot", argv, { out: { type: "string", short: "o" } }, true);
  if (values.help) {
    process.stdout.write(SNAPSHOT_USAGE + "\n");
    return 0;
  }
  const [action, ...rest] = positionals;
  if (action === "save" ? rest.length !== 0 : action === "restore" ? rest.length !== 1 || values.out !== undefined : true) {
    throw new UsageError(`Expected \`save [--out FILE]\` or \`restore FILE\`, got \`${positionals.join(" ")}\`\n${SNAPSHOT_USAGE}`);
  }
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  if (action === "save") {
    const saved = await saveVaultSnapshot(config, values.out !== undefined ? { out: resolve(values.out) } : {});
    process.stdout.write(
      values.json
        ? JSON.stringify({ file: saved.file, bytes: saved.bytes, ...saved.header, pruned: saved.pruned, node: saved.node }) + "\n"
        : `snapshot saved: ${saved.file} (${saved.bytes} bytes, seal key ${saved.header.sealKeyId}, stack ${saved.header.stackId}, from ${saved.node})\n`,
    );
    return 0;
  }
  const file = resolve(rest[0]!);
  const header = await restoreVaultSnapshot(config, file);
  process.stdout.write(
    values.json
      ? JSON.stringify({ restored: file, ...header }) + "\n"
      : `snapshot restored: ${file} (taken ${header.createdAt}, seal key ${header.sealKeyId}, into ${header.node})\n`,
  );
  return 0;
}
