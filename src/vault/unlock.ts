// Brings Vault to "unsealed, and we hold a root token for this run": init on the first boot
// (keyring written before the shares are used), unseal when sealed, otherwise generate-root
// from the keyring. The keyring is never overwritten: a mismatch between it and Vault's state
// is an operator's decision, so it stops the stage with a message that says what to do.
import type { Config } from "../config/normalize.js";
import { poll } from "../util/poll.js";
import { generateRootToken } from "./generate-root.js";
import { initializeVault } from "./initialize.js";
import { keyringPath } from "../volume/layout.js";
import { decryptKeyring, readKeyringText, saveKeyring } from "./keyring.js";
import { readSealStatus, type SealStatus, waitForActive } from "./seal-status.js";
import { unsealVault } from "./unseal.js";
import type { VaultClient } from "./vault-client.js";

export interface Unlocked {
  rootToken: string;
  /** What changed, for the stage's summary: "initialized", "unsealed". */
  actions: string[];
}

const AUTO_UNSEAL_WAIT_MS = 15_000;
const ACTIVE_WAIT_MS = 30_000;

function checkSealKind(config: Config, status: SealStatus, address: string): void {
  if (status.type === undefined) return;
  const serverAuto = status.type !== "shamir";
  if (serverAuto !== (config.vault.seal === "auto")) {
    throw new Error(
      `Vault at ${address} uses a \`${status.type}\` seal but vault.seal is \`${config.vault.seal}\` (expected \`${serverAuto ? "auto" : "shamir"}\`)`,
    );
  }
}

function awaitAutoUnseal(client: VaultClient, signal?: AbortSignal): Promise<SealStatus> {
  return poll(
    async () => {
      const status = await readSealStatus(client);
      return status.sealed ? undefined : status;
    },
    { timeoutMs: AUTO_UNSEAL_WAIT_MS, intervalMs: 200, signal, what: `Vault at ${client.address} to auto-unseal (vault.seal: auto; still sealed: check its seal stanza)` },
  );
}

export async function unlockVault(client: VaultClient, config: Config, status: SealStatus, ikm: Buffer, signal?: AbortSignal): Promise<Unlocked> {
  const stateDir = config.stateDir;
  const path = keyringPath(stateDir);
  const text = await readKeyringText(stateDir);
  checkSealKind(config, status, client.address);
  const actions: string[] = [];

  if (!status.initialized) {
    if (text !== undefined) {
      throw new Error(
        `Vault at ${client.address} is not initialized, yet a keyring from an earlier init is at ${path}; refusing to replace it. If Vault's storage was reset on purpose, move the keyring away and run again`,
      );
    }
    const { secrets, rootToken } = await initializeVault(client, {
      seal: config.vault.seal,
      shares: config.vault.keyShares,
      threshold: config.vault.keyThreshold,
      persist: (s) => saveKeyring(stateDir, s, ikm),
    });
    actions.push("initialized");
    if (config.vault.seal === "shamir") {
      await unsealVault(client, secrets.keysB64, await readSealStatus(client));
      actions.push("unsealed");
    } else {
      await awaitAutoUnseal(client, signal);
    }
    await waitForActive(client, ACTIVE_WAIT_MS, signal);
    return { rootToken, actions };
  }

  if (text === undefined) {
    throw new Error(`Vault at ${client.address} is initialized but there is no keyring at ${path}: its unseal keys are not bootgate's to use`);
  }
  const secrets = decryptKeyring(text, ikm, path);
  if (status.sealed) {
    if (config.vault.seal === "shamir") {
      await unsealVault(client, secrets.keysB64, status);
      actions.push("unsealed");
    } else {
      await awaitAutoUnseal(client, signal);
    }
  }
  await waitForActive(client, ACTIVE_WAIT_MS, signal);
  return { rootToken: await generateRootToken(client, secrets.keysB64), actions };
}
