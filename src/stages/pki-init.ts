// pki-init: the stack's CA and a certificate per service, then gate pki-ready. The first stage
// of every boot; it needs nothing. It also writes what OpenBao starts on besides its certificate
// (src/vault/server-boot-config.ts: the static seal key and the self-initialization config).
// The gateway's leaf goes to gateway-cert in memory. With pki.issuer `vault` it issues only
// Vault's and PostgreSQL's leaves, and hands this boot's intermediate to secretstore-setup. A rerun that reissues a running service's
// leaf sends that service's `reload` signal (src/docker/).
import { reloadReissued } from "../docker/reload-reissued.js";
import { PKI_READY } from "../gates/gate-names.js";
import { putGatewayLeaf } from "../pki/gateway-handoff.js";
import { type PendingIntermediate, putIntermediate } from "../pki/pending-intermediate.js";
import { writeSealedIntermediate } from "../pki/sealed-intermediate.js";
import { loadIkm } from "../vault/ikm.js";
import { checkPkiImports } from "../pki/preflight.js";
import { usesOfflineRoot } from "../pki/offline-mode.js";
import { type ProvisionOptions, type ProvisionResult, provisionPki } from "../pki/provision.js";
import type { Config } from "../config/normalize.js";
import { defineStage } from "../runner/define-stage.js";
import { writeVaultBootFiles } from "../vault/server-boot-config.js";
import { initializerFor, readClusterMarker } from "../vault/cluster/init-marker.js";
import { writeNodeBootConfigs } from "../vault/cluster/node-boot-config.js";
import { DEFAULT_STAGE_TIMEOUT_MS } from "../runner/runner.js";

export const PKI_INIT = "pki-init";

/** Large RSA keys take seconds each on a small machine; the budget grows with them. */
const RSA_KEYGEN_BUDGET_MS: Record<string, number> = { "rsa-3072": 2_000, "rsa-4096": 6_000 };

export function pkiInitTimeoutMs(config: Config): number {
  return DEFAULT_STAGE_TIMEOUT_MS + (RSA_KEYGEN_BUDGET_MS[config.pki.keyAlgorithm] ?? 0) * (config.services.length + 2);
}

/** pki.issuer `vault`: the new intermediate waits, sealed, for secretstore-setup to import it. */
async function sealForVault(config: Config, pending: PendingIntermediate): Promise<void> {
  const ikm = await loadIkm(config);
  try {
    await writeSealedIntermediate(config.secretsDir, ikm, pending);
  } finally {
    ikm.fill(0);
  }
}

/** The offline root (pki.ca.import, pki.issuer vault): loaded only then, it brings @peculiar/x509. */
async function provisionOffline(config: Config, options: ProvisionOptions): Promise<ProvisionResult> {
  const { provisionWithOfflineRoot } = await import("../pki/offline-provision.js");
  const ikm = await loadIkm(config);
  try {
    return await provisionWithOfflineRoot(config, ikm, options);
  } finally {
    ikm.fill(0);
  }
}

export function pkiInitStage() {
  return defineStage({
    name: PKI_INIT,
    needs: [],
    opens: [PKI_READY],
    enabled: () => true,
    preflight: (config) => checkPkiImports(config),
    timeoutMs: pkiInitTimeoutMs,
    // Nothing here is worth retrying: bad material stays bad, and a full disk stays full.
    retries: 0,
    async run(ctx, imports) {
      const options = {
        log: (line: string) => ctx.log.info(line),
        imports,
        onNewIntermediate: (pending: PendingIntermediate) => sealForVault(ctx.config, pending),
      };
      const result = usesOfflineRoot(ctx.config) ? await provisionOffline(ctx.config, options) : await provisionPki(ctx.config, options);
      if (result.gatewayLeaf) putGatewayLeaf(ctx.handoff, result.gatewayLeaf);
      if (result.intermediate) putIntermediate(ctx.handoff, result.intermediate);
      // pki-ready promises Vault everything it starts on: its seal key and boot config too. A
      // config with no IKM has no Vault of bootgate's to start (secretstore-setup says so).
      if (ctx.config.vault.ikm && ctx.config.services.some((s) => s.name === ctx.config.vault.service)) {
        const boot = await writeVaultBootFiles(ctx.config);
        if (boot.sealKeys > 0 && !boot.inMemory)
          ctx.log.info(`${ctx.config.secretsDir} is not a tmpfs: OpenBao's seal key is on disk there until the next boot`);
        // A cluster's nodes each read their own file; only this stack's first boot has an initializer.
        if (ctx.config.vault.cluster.nodes > 1) {
          const initializer = initializerFor(ctx.config, await readClusterMarker(ctx.config.stateDir));
          await writeNodeBootConfigs(ctx.config, initializer);
          if (initializer) ctx.log.info(`${initializer} initializes the Vault cluster (no cluster recorded yet)`);
        }
      }
      const reloaded = await reloadReissued(ctx.config, result.services, { log: (line) => ctx.log.info(line), signal: ctx.signal });
      return { summary: reloaded.length > 0 ? `${result.summary}; signalled ${reloaded.length} container(s)` : result.summary };
    },
  });
}
