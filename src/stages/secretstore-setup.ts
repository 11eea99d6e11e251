// secretstore-setup: Vault initialized once, unsealed every boot, one policy and token per
// service (and one for bootgate's later stages), made with bootgate's own Vault login — never a
// root token after the first init (src/vault/unlock.ts).
// With pki.issuer `vault` it also makes Vault's PKI engine the stack's issuer and writes every
// leaf pki-init left to it (src/vault/vault-issuer.ts).
// Opens `vault-ready` only when every token file (and every such leaf) is on disk.
import { TimeoutError } from "../errors.js";
import { PKI_READY, VAULT_READY } from "../gates/gate-names.js";
import { defineStage } from "../runner/define-stage.js";
import type { StageContext } from "../runner/stage.js";
import { loadIkm } from "../vault/ikm.js";
import { ensureCertAuth } from "../vault/cert-auth.js";
import { ensureKvV2 } from "../vault/kv-mount.js";
import { provisionTokens, writePolicies } from "../vault/provision-tokens.js";
import { readSealStatus, waitForVault } from "../vault/seal-status.js";
import { recordCluster } from "../vault/cluster/init-marker.js";
import { waitForClusterUnsealed } from "../vault/cluster/nodes-unsealed.js";
import { rewrapForSealGeneration } from "../vault/seal-rewrap.js";
import { revokeSelf } from "../vault/tokens.js";
import { unlockVault } from "../vault/unlock.js";
import { type VaultClient, vaultClientFor } from "../vault/vault-client.js";
import { NodeVaultPkiEngine } from "../vault/node-vault-pki-engine.js";
import type { PkiEngine } from "../vault/pki-engine.js";
import { issueWithVault } from "../vault/vault-issuer.js";
import { usesOfflineRoot } from "../pki/offline-mode.js";
import { clusterAutopilot, configureAutopilot } from "../vault/cluster/raft-state.js";
import type { PendingIntermediate } from "../pki/pending-intermediate.js";
import { readSealedIntermediate } from "../pki/sealed-intermediate.js";

export const SECRETSTORE_SETUP = "secretstore-setup";
// OpenBao exits on storage a cut-off first start left behind; from here only its silence shows.
const FIRST_START_HINT =
  `; if the very first boot was cut off, OpenBao may refuse the storage it left and exit (its log says "cluster already has state" or ` +
  `"self-initialization failed"): such storage holds nothing anyone can use — remove it (compose: the vault-data volume) and boot again`;
/** Time for the work itself once Vault answers, on top of vault.waitTimeout. */
const WORK_BUDGET_MS = 120_000;
/** A cluster's joining nodes unseal within seconds of the leader; past this, vault-ready opens on the quorum. */
const NODES_UNSEALED_WAIT_MS = 60_000;
/** A node that does not answer at all may be a container still starting; after this it counts as down. */
const NODE_UNREACHABLE_GRACE_MS = 10_000;

export interface SecretstoreDeps {
  /** Vault's PKI engine behind its narrow interface (a fake in unit tests). */
  pkiEngine(client: VaultClient, mount: string): PkiEngine;
}

export const defaultSecretstoreDeps: SecretstoreDeps = { pkiEngine: (client, mount) => new NodeVaultPkiEngine(client, mount) };

async function run(ctx: StageContext, deps: SecretstoreDeps) {
  const { config, log, signal, bootId } = ctx;
  const byVault = config.pki.issuer === "vault";
  const client = await vaultClientFor(config);
  try {
    const status = await waitForVault(client, { timeoutMs: config.vault.waitTimeoutMs, signal, onWaiting: (m) => log.info(m) }).catch((error: unknown) => {
      throw error instanceof TimeoutError && config.vault.seal === "static" ? new TimeoutError(`${error.what}${FIRST_START_HINT}`, error.timeoutMs) : error;
    });
    const ikm = await loadIkm(config);
    let unlocked;
    let sealed: PendingIntermediate | undefined;
    try {
      unlocked = await unlockVault(client, config, status, ikm, signal);
      if (byVault) sealed = await readSealedIntermediate(config.secretsDir, ikm);
    } finally {
      ikm.fill(0);
    }
    const cluster = config.vault.cluster.nodes > 1;
    // Right after the first login, so that a crash leaves as short a window as it can without a
    // marker (and that window is safe: src/vault/cluster/init-marker.ts).
    const recorded = cluster && (await recordCluster(config, (await readSealStatus(client)).cluster_id));
    const admin = await vaultClientFor(config, unlocked.token);
    try {
      const mounted = await ensureKvV2(admin, config.vault.kvMount);
      const rewrapped = await rewrapForSealGeneration(admin, config);
      await writePolicies(admin, config);
      const tokens = await provisionTokens(admin, config, bootId);
      const certAuth = config.vault.certAuth && (await ensureCertAuth(admin, config));
      if (config.vault.cluster.nodes > 1) await configureAutopilot(admin, clusterAutopilot(config.vault.cluster.nodes));
      const engine = byVault ? deps.pkiEngine(admin, config.vault.pkiMount) : undefined;
      const pki = !engine
        ? undefined
        : usesOfflineRoot(config)
          ? // Loaded only then: it checks the root with @peculiar/x509.
            await (await import("../vault/offline-issuer.js")).issueWithOfflineRoot(ctx, engine)
          : await issueWithVault(ctx, engine, sealed);
      if (cluster)
        await waitForClusterUnsealed(config, {
          timeoutMs: NODES_UNSEALED_WAIT_MS,
          unreachableGraceMs: NODE_UNREACHABLE_GRACE_MS,
          signal,
          log: (line) => log.info(line),
        });
      const actions = [
        // On a cluster the first node asked may be one still joining (a wiped one says "not
        // initialized"): only the boot that records the cluster initialized it.
        ...unlocked.actions.filter((a) => !(cluster && !recorded && a === "initialized")),
        ...(recorded ? ["cluster recorded"] : []),
        ...(mounted ? [`enabled ${config.vault.kvMount}/`] : []),
        ...(rewrapped ? [`root key rewrapped with seal key ${config.vault.sealKeyId}`] : []),
        ...(certAuth ? ["enabled auth/cert/"] : []),
      ];
      return {
        summary:
          `${actions.length > 0 ? actions.join(", ") + "; " : "unsealed already; "}` +
          `${tokens.issued} tokens issued, ${tokens.kept} kept, ${tokens.revoked} revoked` +
          (tokens.resentExtra ? ` (and ${tokens.resentExtra} extra of resent creates)` : "") +
          (pki ? `; ${pki}` : ""),
      };
    } finally {
      // Whatever happened, the login does not outlive the stage.
      try {
        await revokeSelf(admin);
      } finally {
        admin.close();
      }
    }
  } finally {
    client.close();
  }
}

export function secretstoreSetupStage(deps: SecretstoreDeps = defaultSecretstoreDeps) {
  return defineStage({
    name: SECRETSTORE_SETUP,
    needs: [PKI_READY],
    opens: [VAULT_READY],
    enabled: () => true,
    preflight: async () => {},
    timeoutMs: (config) => config.vault.waitTimeoutMs + WORK_BUDGET_MS,
    retries: 3,
    run: (ctx) => run(ctx, deps),
  });
}
