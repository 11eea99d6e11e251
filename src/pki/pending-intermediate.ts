// This boot's intermediate on its way from pki-init (which made it before Vault ran) to Vault's
// PKI engine (secretstore-setup imports it). In the same process it goes through the run's
// handoff; for a crash between the two stages or a `--only` run, pki-init also leaves it sealed
// in bootgate's folder (sealed-intermediate.ts), deleted once Vault holds it.
import type { StageContext } from "../runner/stage.js";

export const INTERMEDIATE_HANDOFF = "pki-intermediate";

export interface PendingIntermediate {
  /** The intermediate's certificate (PEM). */
  certPem: string;
  /** Its key, PKCS#8 PEM: a secret. */
  keyPem: string;
  /** The root that signed it (PEM): Vault's chain ends there. */
  rootPem: string;
}

export function putIntermediate(handoff: StageContext["handoff"], pending: PendingIntermediate): void {
  handoff.set(INTERMEDIATE_HANDOFF, pending);
}

/** Takes it out of the map, so the key does not outlive its use. */
export function takeIntermediate(handoff: StageContext["handoff"]): PendingIntermediate | undefined {
  const pending = handoff.get(INTERMEDIATE_HANDOFF) as PendingIntermediate | undefined;
  handoff.delete(INTERMEDIATE_HANDOFF);
  return pending;
}
