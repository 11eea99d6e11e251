// The enrollment API as part of `bootgate agent` (agent.enroll.listen): bootgate's own leaf on
// the listener, the stack's bundle as the renewal clients' trust anchor, the PSK read once from
// its file and derived with a fresh salt each start (the raw PSK is zeroed after), tokens checked
// against the key in Vault and requests signed by Vault's PKI engine, both with the agent's login.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { VaultSession } from "../agent/vault-session.js";
import type { Config } from "../config/normalize.js";
import { caBundlePath, servicePath } from "../volume/layout.js";
import { enrollApi } from "./enroll-api.js";
import { type EnrollListener, type ListenerTls, startEnrollListener } from "./enroll-listener.js";
import { derivePskKey, readPskFile } from "./psk-key.js";
import { vaultCsrSigner } from "./csr-signer.js";
import { vaultEnrollStore } from "./vault-enroll-store.js";
import type { EnrollStore } from "./enroll-store.js";
import type { CsrSigner } from "./csr-signer.js";

export interface EnrollService {
  address: { host: string; port: number };
  /** Takes bootgate's renewed leaf (and the bundle) again. */
  reloadCertificate(): Promise<void>;
  close(): Promise<void>;
}

async function listenerTls(secretsDir: string): Promise<ListenerTls> {
  try {
    return {
      cert: await readFile(servicePath(secretsDir, "bootgate", "cert")),
      key: await readFile(servicePath(secretsDir, "bootgate", "key")),
      ca: await readFile(caBundlePath(secretsDir)),
    };
  } catch (error) {
    throw new Error(`the enrollment API serves HTTPS with bootgate's own leaf and the stack's bundle, but one is unreadable: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export async function startEnrollService(
  config: Config,
  options: { session: VaultSession; log: (line: string) => void; signer?: CsrSigner; observeBody?: (path: string, body: string) => void },
): Promise<EnrollService> {
  const enroll = config.agent.enroll!;
  let psk: { key: Buffer; salt: Buffer } | undefined;
  if (enroll.psk !== undefined) {
    const raw = await readPskFile(enroll.psk, "agent.enroll.psk");
    const salt = randomBytes(16);
    try {
      psk = { key: await derivePskKey(raw, salt), salt };
    } finally {
      raw.fill(0);
    }
  }
  const tls = await listenerTls(config.secretsDir);
  let bundle = tls.ca.toString("utf8");
  const store = vaultEnrollStore(() => options.session.client(), config.vault.kvMount);
  const handle = enrollApi({
    config,
    store,
    signer: options.signer ?? vaultCsrSigner(options.session, config.vault.pkiMount),
    bundle: () => bundle,
    psk,
    log: options.log,
    observeBody: options.observeBody,
  });
  const listener: EnrollListener = await startEnrollListener(enroll.listen, tls, (req, res, transport, address) => void handle(req, res, transport, address));
  const tidy = tokenTidy(store, options.log);
  return {
    address: listener.address,
    async reloadCertificate() {
      const next = await listenerTls(config.secretsDir);
      bundle = next.ca.toString("utf8");
      listener.setTls(next);
    },
    close: async () => {
      await tidy.stop();
      await listener.close();
    },
  };
}

/** Past its expiry by this much a token's record goes: longer than any clock skew its `exp` check forgives. */
export const TOKEN_RECORD_GRACE_MS = 3_600_000;
const TIDY_EVERY_MS = 6 * 3_600_000;

/**
 * `bootgate token --enroll` leaves a record per token in Vault; without a tidy they pile up for
 * the stack's life. At start and every 6 h, those expired for an hour go.
 */
function tokenTidy(store: EnrollStore, log: (line: string) => void): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const pass = () => {
    running ??= store
      .tidyTokens(Date.now() - TOKEN_RECORD_GRACE_MS)
      .then(
        (n) => void (n > 0 && log(`enrollment: removed the records of ${n} expired token(s)`)),
        (error: unknown) => log(`enrollment: cannot tidy expired token records: ${(error as Error).message}`),
      )
      .finally(() => (running = undefined));
  };
  pass();
  const timer = setInterval(pass, TIDY_EVERY_MS);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** For tests and the bench: the bundle the API serves, read the same way. */
export const servedBundle = (secretsDir: string) => readFileSync(caBundlePath(secretsDir), "utf8");
