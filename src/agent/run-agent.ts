// `bootgate agent`: the long-running half. It logs in with bootgate's own identity (the IKM's
// Ed25519 key; the IKM itself is zeroed once the key is derived), keeps every token and every
// leaf on the volume on timers (nothing polls), and serves /metrics and /healthz over HTTPS
// until its signal aborts.
import type { Config } from "../config/normalize.js";
import { gateIsCurrent, readBoot, readGate } from "../gates/gate-file.js";
import * as GATES from "../gates/gate-names.js";
import { BOOTGATE_DIR } from "../volume/layout.js";
import { startTempSweep } from "./temp-sweep.js";
import { loadIdentityKey } from "../vault/bootgate-login.js";
import { readSealStatus } from "../vault/seal-status.js";
import { vaultClientFor } from "../vault/vault-client.js";
import { agentMetrics } from "./agent-metrics.js";
import { startAgentServer, type AgentServer } from "./agent-server.js";
import { AgentState } from "./agent-state.js";
import { agentStateWriter } from "./agent-state-writer.js";
import { type Clock, KeyedTimers, systemClock } from "./keyed-timers.js";
import type { LeafIssuer } from "./leaf-issuer.js";
import { leafKeeper } from "./leaf-keeper.js";
import { gatewayKeeperFor } from "./gateway-keeper-for.js";
import type { GatewayKeeper } from "./gateway-keeper.js";
import { tokenKeeper } from "./token-keeper.js";
import { vaultLeafIssuer } from "./vault-leaf-issuer.js";
import { vaultSession } from "./vault-session.js";
import { snapshotSchedule } from "./snapshot-schedule.js";
import type { EnrollService } from "../enroll/enroll-service.js";
import { Registry } from "prom-client";

/** A scrape and a health check share one look at the seal for this long. */
const SEAL_CACHE_MS = 2_000;
/**
 * While a retry waits, the agent looks at Vault this often, so that once Vault answers unsealed again
 * every retry runs within seconds instead of waiting out a backoff step of up to five minutes.
 */
const VAULT_PROBE_MS = 2_000;
const RECOVERY_SPREAD_MS = 1_000;

export interface AgentOptions {
  signal: AbortSignal;
  log?: (line: string) => void;
  clock?: Clock;
  /** Where renewed leaves come from; default Vault's PKI engine. */
  issuer?: LeafIssuer;
  /** Sees each body the enrollment API reads (tests: no private key ever reaches the agent). */
  observeEnrollBody?: (path: string, body: string) => void;
}

export interface RunningAgent {
  state: AgentState;
  /** The gateway's certificate and JWT key in Vault; undefined without a gateway. */
  gateway?: GatewayKeeper | undefined;
  server: AgentServer;
  /** The enrollment API (agent.enroll.listen); undefined when it is off. */
  enroll?: EnrollService | undefined;
  /** Resolves once the agent stopped (its signal aborted) and its login is revoked. */
  stopped: Promise<void>;
}

export async function startAgent(config: Config, options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`bootgate agent: ${line}\n`));
  const clock = options.clock ?? systemClock;
  const key = await loadIdentityKey(config);
  const state = new AgentState();
  const timers = new KeyedTimers(clock);
  const session = vaultSession(config, key, clock);

  let sealCheckedAt = -Infinity;
  let sealCheck: Promise<void> | undefined;
  const refreshVault = (): Promise<void> => {
    if (clock.now() - sealCheckedAt < SEAL_CACHE_MS) return Promise.resolve();
    sealCheck ??= (async () => {
      try {
        const client = await vaultClientFor(config, undefined, 3_000);
        try {
          const wasUnsealed = state.vaultSealed === false;
          state.vaultSealed = (await readSealStatus(client)).sealed;
          state.vaultError = undefined;
          if (!wasUnsealed && !state.vaultSealed && timers.retrying > 0) {
            log(`vault answers unsealed again: retrying ${timers.hurryRetries(RECOVERY_SPREAD_MS)} failed renewals now`);
          }
        } finally {
          client.close();
        }
      } catch (error) {
        state.vaultSealed = undefined;
        state.vaultError = error instanceof Error ? error.message : String(error);
      } finally {
        sealCheckedAt = clock.now();
        sealCheck = undefined;
      }
    })();
    return sealCheck;
  };
  const probeVault = () => {
    if (stopping || timers.retrying === 0 || timers.has("vault-probe")) return;
    timers.at("vault-probe", clock.now() + VAULT_PROBE_MS, () => void refreshVault().finally(probeVault));
  };
  let stopping = false;
  state.onFailed = probeVault;
  const gates = async () => {
    const boot = await readBoot(config.secretsDir);
    return Promise.all(Object.values(GATES).map(async (gate) => ({ gate, open: gateIsCurrent(await readGate(config.secretsDir, gate), boot) })));
  };

  const snapshots = snapshotSchedule({ config, timers, clock, log });
  const server = await startAgentServer({
    secretsDir: config.secretsDir,
    listen: config.agent.listen,
    registry: Registry.merge([agentMetrics({ state, gates, refreshVault }), snapshots.registry]),
    state,
    refreshVault,
  });
  // Loaded only when enrollment is on: its CSR checks carry @peculiar/x509, ~19 MB of RSS an
  // idle agent need not hold (bench/agent.ts).
  const enrollOptions = { session, log, ...(options.observeEnrollBody ? { observeBody: options.observeEnrollBody } : {}) };
  const enroll = config.agent.enroll ? await (await import("../enroll/enroll-service.js")).startEnrollService(config, enrollOptions) : undefined;
  const tokens = tokenKeeper({ config, session, state, timers, clock, log });
  const issuer = options.issuer ?? vaultLeafIssuer(session, config.vault.pkiMount);
  const gatewayTls = gatewayKeeperFor(config, { session, issuer, state, timers, clock, log });
  const leaves = leafKeeper({
    config,
    issuer,
    state,
    timers,
    clock,
    log,
    renewBeforeMs: config.pki.renewBeforeMs,
    onRenewed: (service) => {
      if (service === BOOTGATE_DIR) {
        server.reloadCertificate().catch((error: unknown) => log(`listener: cannot take the renewed leaf: ${(error as Error).message}`));
        enroll?.reloadCertificate().catch((error: unknown) => log(`enrollment listener: cannot take the renewed leaf: ${(error as Error).message}`));
      }
    },
  });
  await startTempSweep(config, { timers, clock, log });
  tokens.start();
  leaves.start();
  gatewayTls?.start();
  snapshots.start();
  const stateFile = agentStateWriter({ secretsDir: config.secretsDir, state, clock, log });
  stateFile.start();
  void refreshVault();
  const counts = { tokens: 0, certificates: 0 };
  for (const it of state.items.values()) counts[it.kind === "token" ? "tokens" : "certificates"]++;
  log(
    `keeping ${counts.tokens} tokens and ${counts.certificates} certificates for Vault at ${config.vault.address}; serving https://${server.address.host}:${server.address.port}/metrics` +
      (enroll ? `; enrollment on ${enroll.address.host}:${enroll.address.port}` : ""),
  );

  const stopped = new Promise<void>((resolve) => {
    const stop = async () => {
      stopping = true;
      timers.cancelAll();
      await Promise.all([tokens.idle(), leaves.idle(), gatewayTls?.idle(), snapshots.idle()]);
      // A pass still running may have scheduled its next one.
      timers.cancelAll();
      await Promise.all([session.close(), server.close(), stateFile.stop(), enroll?.close()]);
      log("stopped");
      resolve();
    };
    if (options.signal.aborted) void stop();
    else options.signal.addEventListener("abort", () => void stop(), { once: true });
  });
  return { state, server, stopped, gateway: gatewayTls, enroll };
}
