// Brings Vault to "unsealed, and bootgate is logged in with its own identity for this run".
//   static  OpenBao seals with the key pki-init wrote and initializes itself (its `initialize`
//           stanza makes bootgate's identity, then Vault revokes its own root token); bootgate
//           only waits for that and logs in. No keyring, no root token, ever.
//   shamir  first boot: sys/init, the shares into the keyring BEFORE they are used, unseal, the
//   auto    identity made with the init root token, which is then revoked. Later boots: unseal
//           from the keyring (shamir), log in. generate-root only to recover an identity that
//           a crash in the first boot's init window left unmade.
// The keyring is never overwritten: a mismatch between it and Vault's state is an operator's
// decision, so it stops the stage with a message that says what to do.
import type { Config } from "../config/normalize.js";
import { poll } from "../util/poll.js";
import { sleep } from "../util/sleep.js";
import { deriveIdentityKey, type IdentityKey } from "./derived-keys.js";
import { generateRootToken } from "./generate-root.js";
import { createIdentity, identityRequests, loginAsBootgate, type LoginResult } from "./identity.js";
import { IDENTITY_MOUNT } from "./identity-names.js";
import { initializeVault } from "./initialize.js";
import { keyringPath } from "../volume/layout.js";
import { decryptKeyring, readKeyringText, saveKeyring } from "./keyring.js";
import { readSealStatus, type SealStatus, waitForActive } from "./seal-status.js";
import { vaultBootConfigPath } from "./server-boot-config.js";
import { revokeSelf } from "./tokens.js";
import { unsealVault } from "./unseal.js";
import { createVaultClient, type VaultClient } from "./vault-client.js";

export interface Unlocked {
  /** bootgate's login token for this run (policy `bootgate`); the caller revokes it. */
  token: string;
  /** What changed, for the stage's summary: "initialized", "unsealed". */
  actions: string[];
}

const AUTO_UNSEAL_WAIT_MS = 15_000;
const ACTIVE_WAIT_MS = 30_000;
const REFUSED_GRACE_MS = 3_000;

function expectedServerSeal(seal: Config["vault"]["seal"]): string {
  return seal === "shamir" ? "shamir" : seal === "static" ? "static" : "an auto-unseal";
}

function checkSealKind(config: Config, status: SealStatus, address: string): void {
  if (status.type === undefined) return;
  const seal = config.vault.seal;
  const fits = seal === "shamir" ? status.type === "shamir" : seal === "static" ? status.type === "static" : status.type !== "shamir";
  if (fits) return;
  const hint =
    status.type === "shamir" && seal === "static"
      ? ` (started without bootgate's ${vaultBootConfigPath(config)} as a second -config? Or a Vault made with Shamir key shares, e.g. by an earlier bootgate: then set vault.seal: shamir)`
      : seal === "static"
        ? ` (the server was not started with bootgate's ${vaultBootConfigPath(config)}: add it as a second -config)`
        : "";
  throw new Error(`Vault at ${address} uses a \`${status.type}\` seal but vault.seal is \`${seal}\` (expected ${expectedServerSeal(seal)} seal)${hint}`);
}

function awaitAutoUnseal(client: VaultClient, why: string, signal?: AbortSignal): Promise<SealStatus> {
  return poll(
    async () => {
      const status = await readSealStatus(client);
      return status.sealed ? undefined : status;
    },
    { timeoutMs: AUTO_UNSEAL_WAIT_MS, intervalMs: 200, signal, what: `Vault at ${client.address} to auto-unseal (still sealed: ${why})` },
  );
}

function noIdentityMessage(config: Config, address: string): string {
  return (
    `Vault at ${address} is initialized but has no bootgate login (auth/${IDENTITY_MOUNT}/): its self-initialization ` +
    `was cut off by a crash in the very first boot, before it made the login. Nobody ever held a token to this Vault, so ` +
    `its storage holds nothing anyone can use: stop Vault, remove its storage (compose: the vault-data volume; ` +
    `up --local sets ${config.stateDir}/openbao/data aside by itself) and boot again`
  );
}

async function unlockStatic(client: VaultClient, config: Config, first: SealStatus, key: IdentityKey, signal?: AbortSignal): Promise<Unlocked> {
  const actions = first.initialized ? [] : ["initialized"];
  // Self-initialization runs its requests a second or so after Vault reports itself initialized.
  const selfInitWaitMs = config.vault.waitTimeoutMs;
  const deadline = Date.now() + selfInitWaitMs;
  const status = first.initialized
    ? first
    : await poll(
        async () => {
          const now = await readSealStatus(client);
          return now.initialized ? now : undefined;
        },
        {
          timeoutMs: selfInitWaitMs,
          intervalMs: 200,
          signal,
          what:
            `Vault at ${client.address} to initialize itself: OpenBao does so on its first start from the \`initialize\` stanza in ` +
            `${vaultBootConfigPath(config)} — is it started with that file as a -config? If its log says "cluster already has state", ` +
            `a first start was cut off after raft was bootstrapped: that storage holds nothing, remove it`,
        },
      );
  if (status.sealed) {
    await awaitAutoUnseal(
      client,
      `the static seal key derived from vault.ikm (vault.sealKeyId ${config.vault.sealKeyId}) does not open it — another IKM, or a sealKeyId bumped by more than one?`,
      signal,
    );
  }
  await waitForActive(client, ACTIVE_WAIT_MS, signal);
  let refusedSince: number | undefined;
  for (;;) {
    const login = await loginAsBootgate(client, key);
    if (login.ok) return { token: login.token, actions };
    if (login.reason === "refused") {
      // Between self-init's first request (the mount) and its second (the key) a login is refused too.
      refusedSince ??= Date.now();
      if (Date.now() - refusedSince > REFUSED_GRACE_MS) {
        // The seal key from the same IKM opened Vault, so the IKM is right: the login itself was changed.
        throw new Error(`Vault at ${client.address} refuses bootgate's login: ${login.detail} (auth/${IDENTITY_MOUNT}/ is not what self-initialization made)`);
      }
    } else if (Date.now() > deadline) {
      throw new Error(noIdentityMessage(config, client.address));
    }
    await sleep(200, signal);
  }
}

async function withRoot(client: VaultClient, rootToken: string, work: (root: VaultClient) => Promise<void>): Promise<void> {
  const root = createVaultClient({ address: client.address, caPem: client.caPem, serverName: client.serverName, token: rootToken });
  try {
    await work(root);
  } finally {
    // The root token does not outlive the identity it made.
    try {
      await revokeSelf(root);
    } finally {
      root.close();
    }
  }
}

async function loggedIn(client: VaultClient, key: IdentityKey, actions: string[]): Promise<Unlocked> {
  const login: LoginResult = await loginAsBootgate(client, key);
  if (!login.ok) throw new Error(`Vault at ${client.address} refuses bootgate's login right after making it: ${login.detail}`);
  return { token: login.token, actions };
}

async function unlockWithKeyring(
  client: VaultClient,
  config: Config,
  status: SealStatus,
  ikm: Buffer,
  key: IdentityKey,
  signal?: AbortSignal,
): Promise<Unlocked> {
  const stateDir = config.stateDir;
  const path = keyringPath(stateDir);
  const text = await readKeyringText(stateDir);
  const actions: string[] = [];
  const requests = identityRequests(config.vault.kvMount, key, config.vault.pkiMount);
  const unsealWith = async (keysB64: string[], current: SealStatus) => {
    if (config.vault.seal === "shamir") {
      await unsealVault(client, keysB64, current);
      actions.push("unsealed");
    } else {
      await awaitAutoUnseal(client, "check its seal stanza", signal);
    }
  };

  if (!status.initialized) {
    if (text !== undefined) {
      throw new Error(
        `Vault at ${client.address} is not initialized, yet a keyring from an earlier init is at ${path}; refusing to replace it. If Vault's storage was reset on purpose, move the keyring away and run again`,
      );
    }
    const seal = config.vault.seal === "shamir" ? "shamir" : "auto";
    const { secrets, rootToken } = await initializeVault(client, {
      seal,
      shares: config.vault.keyShares,
      threshold: config.vault.keyThreshold,
      persist: (s) => saveKeyring(stateDir, s, ikm),
    });
    actions.push("initialized");
    await unsealWith(secrets.keysB64, await readSealStatus(client));
    await waitForActive(client, ACTIVE_WAIT_MS, signal);
    await withRoot(client, rootToken, (root) => createIdentity(root, requests));
    return loggedIn(client, key, actions);
  }

  if (text === undefined) {
    throw new Error(`Vault at ${client.address} is initialized but there is no keyring at ${path}: its unseal keys are not bootgate's to use`);
  }
  const secrets = decryptKeyring(text, ikm, path);
  if (status.sealed) await unsealWith(secrets.keysB64, status);
  await waitForActive(client, ACTIVE_WAIT_MS, signal);
  const login = await loginAsBootgate(client, key);
  if (login.ok) return { token: login.token, actions };
  // The keyring opened, so the IKM is right: the identity was never (fully) made — a crash
  // between init and its making. The key shares can make a root token to finish it, once.
  let rootToken: string;
  try {
    rootToken = await generateRootToken(client, secrets.keysB64);
  } catch (error) {
    throw new Error(
      `Vault at ${client.address} has no working bootgate login (${login.detail}): the first boot was cut off between init and making it. ` +
        `If that first boot was this Vault's very first (it holds nothing yet), remove Vault's storage and ${path} and boot again. ` +
        `If it is a Vault made by a bootgate from before it had its own identity (it holds secrets), the identity is made once with a root ` +
        `token from the keyring's shares: OpenBao >= 2.5.3 refuses unauthenticated generate-root (CVE-2026-5807), so that is an operator's ` +
        `decision for one boot, described in docs/openbao.md ("Upgrading")`,
      { cause: error },
    );
  }
  await withRoot(client, rootToken, (root) => createIdentity(root, requests));
  actions.push("made bootgate's identity (generate-root)");
  return loggedIn(client, key, actions);
}

export async function unlockVault(client: VaultClient, config: Config, status: SealStatus, ikm: Buffer, signal?: AbortSignal): Promise<Unlocked> {
  checkSealKind(config, status, client.address);
  const key = deriveIdentityKey(ikm);
  if (config.vault.seal === "static") return unlockStatic(client, config, status, key, signal);
  return unlockWithKeyring(client, config, status, ikm, key, signal);
}
