import { z } from "zod";
import { dnsLabel, duration, httpsUrl, path } from "../fields.js";
import { vaultClusterSection, vaultSnapshotsSection } from "./vault-cluster.js";

export const vaultSection = z
  .strictObject({
    /** BOOTGATE_VAULT_ADDR overrides. Always https: the listener uses the `vault` service's cert. */
    address: httpsUrl.default("https://127.0.0.1:8200"),
    /** The service whose certificate the listener presents; clients verify by this name. */
    service: dnsLabel.default("vault"),
    kvMount: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a mount name such as `secret`")
      .default("secret"),
    /** Where the PKI secrets engine is mounted (pki.issuer: vault). */
    pkiMount: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, "expected a mount name such as `pki`")
      .default("pki"),
    keyShares: z.number().int().min(1).max(255).default(5),
    keyThreshold: z.number().int().min(1).max(255).default(3),
    /**
     * `static` (default): OpenBao's static seal with a key derived from the IKM, and its
     * self-initialization; no keyring. `shamir`: unseal with the keyring's shares. `auto`: the
     * operator's own auto-unseal (transit, KMS) stanza; the keyring holds recovery keys.
     */
    seal: z.enum(["static", "shamir", "auto"]).default("static"),
    /** The static seal key's generation; bump it to rotate (the one before stays as previous_key). */
    sealKeyId: z.number().int().min(1).max(1_000_000).default(1),
    /** Period of each service token; they are renewable. */
    tokenPeriod: duration.prefault("24h"),
    /** Input key material for the keyring: a file, or a hook command whose stdout is hex. */
    ikm: z
      .union([z.strictObject({ file: path }), z.strictObject({ command: z.array(z.string()).min(1) })], {
        error: "expected `{ file: PATH }` or `{ command: [ARGV…] }`",
      })
      .optional(),
    /**
     * Vault's TLS certificate auth method: one role per service (its own name, the stack's CA,
     * its own policies), so a service can log in with its cert.pem/key.pem alone.
     */
    certAuth: z.boolean({ error: "expected true or false" }).default(false),
    /** How long to wait for the Vault API to come up (and, with the static seal, for its self-initialization). */
    waitTimeout: duration.prefault("60s"),
    /** OpenBao as a raft cluster (src/config/sections/vault-cluster.ts). */
    cluster: vaultClusterSection,
    /** Encrypted raft snapshots (`bootgate snapshot`). */
    snapshots: vaultSnapshotsSection,
  })
  .refine((v) => v.keyThreshold <= v.keyShares, { message: "expected keyThreshold <= keyShares", path: ["keyThreshold"] })
  .prefault({});
