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
    keyAlgorithm: z.enum(keyAlgorithms, { error: `expected one of ${keyAlgorithms.join(", ")}` }).default("ecdsa-p256"),
    validity: duration.prefault("90d"),
    renewBefore: duration.prefault("15d"),
  })
  .prefault({});
