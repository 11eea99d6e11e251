// secretstore-setup's PKI part (pki.issuer: vault): Vault's PKI engine takes this boot's
// intermediate and issues the leaves pki-init left to it, before vault-ready opens.
import { kernelBootId } from "../gates/gate-file.js";
import { reloadReissued } from "../docker/reload-reissued.js";
import { putGatewayLeaf } from "../pki/gateway-handoff.js";
import { INTERMEDIATE_HANDOFF, type PendingIntermediate } from "../pki/pending-intermediate.js";
import { removeSealedIntermediate } from "../pki/sealed-intermediate.js";
import { findThisBootsCa } from "../pki/this-boot-ca.js";
import { issueThroughVault } from "../pki/vault-leaves.js";
import type { StageContext } from "../runner/stage.js";
import { caBundlePath } from "../volume/layout.js";
import type { PkiEngine } from "./pki-engine.js";
import { gatewayLeafDue } from "./gateway-leaf-due.js";
import { setUpPkiEngine } from "./pki-setup.js";

/** `sealed` is what pki-init left in bootgate's folder, opened; the handoff wins when both are there. */
export async function issueWithVault(ctx: StageContext, engine: PkiEngine, sealed: PendingIntermediate | undefined): Promise<string> {
  const { config } = ctx;
  const ca = await findThisBootsCa(caBundlePath(config.secretsDir), kernelBootId(), new Date());
  if (!ca) throw new Error(`no CA of this boot in ${caBundlePath(config.secretsDir)}: run pki-init first (bootgate run)`);
  // Looked at, not taken: a retry of this stage needs it again; it goes once everything is done.
  const pending = (ctx.handoff.get(INTERMEDIATE_HANDOFF) as PendingIntermediate | undefined) ?? sealed;
  const setup = await setUpPkiEngine(engine, config, ca.chainPem, pending);
  if (pending) await removeSealedIntermediate(config.secretsDir);
  const now = new Date();
  const gateway = pending !== undefined || (await gatewayLeafDue(config, now, undefined, ca.chainPem));
  const leaves = await issueThroughVault(engine, config, ca, { gateway, now });
  ctx.handoff.delete(INTERMEDIATE_HANDOFF);
  if (leaves.gatewayLeaf) putGatewayLeaf(ctx.handoff, leaves.gatewayLeaf);
  const reloaded = await reloadReissued(config, leaves.services, { log: (line) => ctx.log.info(line), signal: ctx.signal });
  const count = (action: string) => leaves.services.filter((s) => s.action === action).length;
  const parts = [
    ...(setup.mounted ? [`enabled ${engine.mount}/`] : []),
    ...(setup.imported ? ["imported this boot's intermediate"] : []),
    `${count("issued") + count("handed-over")} certificates issued by Vault, ${count("kept")} kept`,
    ...(reloaded.length > 0 ? [`signalled ${reloaded.length} container(s)`] : []),
  ];
  return parts.join(", ");
}
