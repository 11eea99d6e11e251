// bootgate revoke <service>: revokes that service's current leaf in Vault's PKI engine, writes a
// new one issued by Vault and sends the service its reload. Logs in with bootgate's own identity
// (the IKM), as secretstore-setup does; the login is revoked before the command ends.
import { loadConfig } from "../config/load.js";
import { reloadReissued } from "../docker/reload-reissued.js";
import { UsageError } from "../errors.js";
import { kernelBootId } from "../gates/gate-file.js";
import { revokeAndReissue } from "../pki/revoke-leaf.js";
import { findThisBootsCa } from "../pki/this-boot-ca.js";
import { withBootgateLogin } from "../vault/bootgate-login.js";
import { NodeVaultPkiEngine } from "../vault/node-vault-pki-engine.js";
import { caBundlePath } from "../volume/layout.js";
import { parse, secretsDirFlag } from "./options.js";

export const REVOKE_USAGE = "usage: bootgate revoke <service> [--config FILE] [--secrets-dir DIR] [--json]";

export async function revokeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("revoke", argv, {}, true);
  if (values.help) {
    process.stdout.write(REVOKE_USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`Expected one service name, got ${positionals.length}\n${REVOKE_USAGE}`);
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  if (config.pki.issuer !== "vault")
    throw new UsageError(`Expected pki.issuer \`vault\` in ${config.source}: with \`local\` there is no CA left to revoke with`);
  const ca = await findThisBootsCa(caBundlePath(config.secretsDir), kernelBootId(), new Date());
  if (!ca) throw new Error(`no CA of this boot in ${caBundlePath(config.secretsDir)}: run \`bootgate run\` first`);
  await withBootgateLogin(config, async (admin) => {
    const revoked = await revokeAndReissue(new NodeVaultPkiEngine(admin, config.vault.pkiMount), config, positionals[0]!, ca);
    const log = (line: string) => process.stderr.write(line + "\n");
    const signalled = await reloadReissued(config, [revoked.outcome], { log });
    const result = { service: revoked.outcome.service, revokedSerial: revoked.oldSerial, serial: revoked.outcome.serial!, signalled: signalled.length };
    process.stdout.write(
      values.json
        ? JSON.stringify(result) + "\n"
        : `revoked ${result.revokedSerial}; ${result.service} now has ${result.serial}; signalled ${result.signalled} container(s)\n`,
    );
  });
  return 0;
}
