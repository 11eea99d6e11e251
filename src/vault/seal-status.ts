// Vault's seal state, and the wait for its API to answer at all.
import { poll } from "../util/poll.js";
import type { VaultClient } from "./vault-client.js";
import { describeVaultError, isVaultNameMissing, isVaultUnavailable } from "./vault-errors.js";

export interface SealStatus {
  initialized: boolean;
  sealed: boolean;
  /** Shares needed to unseal, and given so far. */
  t: number;
  n: number;
  progress: number;
  type?: string;
  recovery_seal?: boolean;
  version?: string;
  /** Set once the node is unsealed; the same on every node of one cluster. */
  cluster_id?: string;
}

export async function readSealStatus(client: VaultClient): Promise<SealStatus> {
  return (await client.api.read("sys/seal-status")) as SealStatus;
}

export interface WaitForVaultOptions {
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onWaiting?(message: string): void;
}

/**
 * Polls sys/seal-status until Vault answers, while it is not listening (refused, reset, 503) or
 * its name does not resolve yet (its container not started: isVaultNameMissing).
 * Anything else — a certificate that does not verify, a 4xx — fails at once: waiting will not
 * fix it. Runs out with a TimeoutError that names the address and the last error.
 */
export async function waitForVault(client: VaultClient, options: WaitForVaultOptions): Promise<SealStatus> {
  let last = "";
  return poll(
    async () => {
      try {
        return await readSealStatus(client);
      } catch (error) {
        if (!isVaultUnavailable(error) && !isVaultNameMissing(error))
          throw new Error(`Vault at ${client.address}: ${describeVaultError(error)}`, { cause: error });
        if (!last) options.onWaiting?.(`waiting for Vault at ${client.address} (${describeVaultError(error)})`);
        last = describeVaultError(error);
        return undefined;
      }
    },
    { timeoutMs: options.timeoutMs, intervalMs: options.pollMs ?? 250, signal: options.signal, what: () => `Vault at ${client.address} (last error: ${last})` },
  );
}

/**
 * After an unseal, integrated storage elects itself leader before it serves requests (503 until
 * then). Waits for sys/health to report an active, unsealed node.
 */
export async function waitForActive(client: VaultClient, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  let last = "";
  await poll(
    async () => {
      try {
        // node-vault hands back sys/health's body whatever its status code.
        const health = (await client.api.read("sys/health")) as { sealed?: boolean; standby?: boolean; initialized?: boolean };
        if (health.initialized && health.sealed === false && health.standby === false) return true;
        last = `sealed=${String(health.sealed)} standby=${String(health.standby)}`;
      } catch (error) {
        if (!isVaultUnavailable(error)) throw new Error(`Vault at ${client.address}: ${describeVaultError(error)}`, { cause: error });
        last = describeVaultError(error);
      }
      return undefined;
    },
    { timeoutMs, intervalMs: 100, signal, what: () => `Vault at ${client.address} to become active (last: ${last})` },
  );
}
