import { z } from "zod";
import { duration, path } from "../fields.js";

export const keyAlgorithms = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"] as const;
export type KeyAlgorithm = (typeof keyAlgorithms)[number];

export const pkiSection = z
  .strictObject({
    /** `ephemeral`: a new root + intermediate every boot. `{ import: DIR }`: root cert + intermediate cert/key from DIR. */
    ca: z
      .union([z.literal("ephemeral"), z.strictObject({ import: path })], {
        error: "expected `ephemeral` or `{ import: DIR }`",
      })
      .default("ephemeral"),
    /**
     * Who issues the leaves after the boot's first moments. `vault`: Vault's PKI engine holds this
     * boot's intermediate and issues every leaf but Vault's and PostgreSQL's (src/vault/pki-engine.ts).
     * `local`: pki-init issues every leaf in memory. Unset: `vault` when Vault is part of the stack.
     */
    issuer: z.enum(["vault", "local"], { error: "expected `vault` or `local`" }).optional(),
    keyAlgorithm: z.enum(keyAlgorithms, { error: `expected one of ${keyAlgorithms.join(", ")}` }).default("ecdsa-p256"),
    validity: duration.prefault("90d"),
    /** Unset: a leaf is renewed at 2/3 of its lifetime (capped at 15d before its end). */
    renewBefore: duration.optional(),
  })
  // Equal is allowed: every leaf is due at once (a rerun reissues them all).
  .refine((p) => p.renewBefore === undefined || p.renewBefore <= p.validity, {
    message: "expected renewBefore to be at most pki.validity (a leaf cannot be renewed before it was issued)",
    path: ["renewBefore"],
  })
  .prefault({});

/** What renewBefore means when unset: renew at 2/3 of the lifetime, but no earlier than 15d before the end. */
export function defaultRenewBeforeMs(validityMs: number): number {
  return Math.min(15 * 86_400_000, Math.round(validityMs / 3));
}
