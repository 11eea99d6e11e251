// Vault's PKI engine made ready to issue for the stack (pki.issuer: vault), with bootgate's login:
// the mount, this boot's intermediate (imported with its key from pki-init) as default issuer,
// CRL/OCSP/URLs/auto-tidy, and one role per service that allows exactly that service's names.
//
// Import, not `intermediate/generate/internal`: the intermediate must exist before Vault runs,
// since it signs Vault's own listener certificate (and PostgreSQL's) at pki-ready.
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { BOOTGATE_LEAF } from "../pki/bootgate-leaf.js";
import type { PendingIntermediate } from "../pki/pending-intermediate.js";
import { mapLimit } from "../util/map-limit.js";
import type { PkiEngine, PkiRole } from "./pki-engine.js";

const CONCURRENCY = 16;
/** The mount's ceiling: leaves are `pki.validity` long, the CA a day longer. */
export const MOUNT_EXTRA_MS = 2 * 86_400_000;

export const KEY_TYPES: Record<KeyAlgorithm, Pick<PkiRole, "keyType" | "keyBits">> = {
  "ecdsa-p256": { keyType: "ec", keyBits: 256 },
  "ecdsa-p384": { keyType: "ec", keyBits: 384 },
  "rsa-2048": { keyType: "rsa", keyBits: 2048 },
  "rsa-3072": { keyType: "rsa", keyBits: 3072 },
  "rsa-4096": { keyType: "rsa", keyBits: 4096 },
  ed25519: { keyType: "ed25519", keyBits: 0 },
};

export function roleFor(service: Pick<ServiceConfig, "name" | "dns" | "ip">, config: Pick<Config, "pki">): PkiRole {
  return {
    name: service.name,
    allowedDomains: [...new Set([service.name, ...service.dns])],
    allowIpSans: service.ip.length > 0,
    ...KEY_TYPES[config.pki.keyAlgorithm],
    ttlMs: config.pki.validityMs,
  };
}

export interface PkiSetup {
  mounted: boolean;
  /** This run made this boot's intermediate Vault's default issuer. */
  imported: boolean;
}

/**
 * `volumeIntermediatePem` is the intermediate in ca/ca.pem: what every leaf must chain to. When
 * Vault's default issuer is another and nothing is pending, the boot cannot go on (the key is gone).
 */
export async function setUpPkiEngine(
  engine: PkiEngine,
  config: Config,
  volumeIntermediatePem: string,
  pending: PendingIntermediate | undefined,
): Promise<PkiSetup> {
  const mounted = await engine.ensureMount(config.pki.validityMs + MOUNT_EXTRA_MS);
  const current = await engine.defaultIssuer();
  const holdsIt = current !== undefined && current.certPem.trim() === volumeIntermediatePem.trim();
  let imported = false;
  if (!holdsIt) {
    if (!pending || pending.certPem.trim() !== volumeIntermediatePem.trim()) {
      throw new Error(
        `Vault's PKI engine at ${engine.mount}/ does not hold this boot's intermediate (the one in ca/ca.pem) and pki-init left none to import: ` +
          `remove ca/ca.pem from the secrets volume and run pki-init again (a new CA for this boot)`,
      );
    }
    const id = await engine.importIssuer(pending.keyPem + pending.certPem + pending.rootPem, pending.certPem);
    await engine.setDefaultIssuer(id);
    imported = true;
  }
  await configureForStack(engine, config);
  return { mounted, imported };
}

/** CRL, OCSP, URLs, auto-tidy and one role per service: rewritten every run, the config may have changed. */
export async function configureForStack(engine: PkiEngine, config: Config): Promise<void> {
  await engine.configure(config.vault.address);
  // bootgate's own leaf too: the agent renews it through its role like a service's.
  const leaves = config.services.some((s) => s.name === BOOTGATE_LEAF.name) ? config.services : [...config.services, BOOTGATE_LEAF];
  await mapLimit(leaves, CONCURRENCY, (s) => engine.writeRole(roleFor(s, config)));
}
