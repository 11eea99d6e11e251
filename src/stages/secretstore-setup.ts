// secretstore-setup: Vault initialized once, unsealed every boot, one policy and token per
// service (and one for bootgate's later stages), the root token used in memory and revoked.
// Opens `vault-ready` only when every token file is on disk.
import { PKI_READY, VAULT_READY } from "../gates/gate-names.js";
import { defineStage } from "../runner/define-stage.js";
import type { StageContext } from "../runner/stage.js";
import { loadIkm } from "../vault/ikm.js";
import { ensureKvV2 } from "../vault/kv-mount.js";
import { provisionTokens, writePolicies } from "../vault/provision-tokens.js";
import { waitForVault } from "../vault/seal-status.js";
import { revokeSelf } from "../vault/tokens.js";
import { unlockVault } from "../vault/unlock.js";
import { vaultClientFor } from "../vault/vault-client.js";

export const SECRETSTORE_SETUP = "secretstore-setup";
/** Time for the work itself once Vault answers, on top of vault.waitTimeout. */
const WORK_BUDGET_MS = 120_000;

async function run(ctx: StageContext) {
  const { config, log, signal, bootId } = ctx;
  const client = await vaultClientFor(config);
  try {
    const status = await waitForVault(client, { timeoutMs: config.vault.waitTimeoutMs, signal, onWaiting: (m) => log.info(m) });
    const ikm = await loadIkm(config);
    let unlocked;
    try {
      unlocked = await unlockVault(client, config, status, ikm, signal);
    } finally {
      ikm.fill(0);
    }
    const root = await vaultClientFor(config, unlocked.rootToken);
    try {
      const mounted = await ensureKvV2(root, config.vault.kvMount);
      await writePolicies(root, config);
      const tokens = await provisionTokens(root, config, bootId);
      const actions = [...unlocked.actions, ...(mounted ? [`enabled ${config.vault.kvMount}/`] : [])];
      return {
        summary:
          `${actions.length > 0 ? actions.join(", ") + "; " : "unsealed already; "}` +
          `${tokens.issued} tokens issued, ${tokens.kept} kept, ${tokens.revoked} revoked`,
      };
    } finally {
      // Whatever happened, the root token does not outlive the stage.
      try {
        await revokeSelf(root);
      } finally {
        root.close();
      }
    }
  } finally {
    client.close();
  }
}

export function secretstoreSetupStage() {
  return defineStage({
    name: SECRETSTORE_SETUP,
    needs: [PKI_READY],
    opens: [VAULT_READY],
    enabled: () => true,
    preflight: async () => {},
    timeoutMs: (config) => config.vault.waitTimeoutMs + WORK_BUDGET_MS,
    retries: 3,
    run,
  });
}
