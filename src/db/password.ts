// Passwords for service roles: 32 random bytes (256 bits), base64url so they are plain ASCII
// (SASLprep leaves them unchanged) and need no quoting in a libpq connection string.
import { randomBytes } from "node:crypto";

export const PASSWORD_BYTES = 32;

export const generatePassword = (): string => randomBytes(PASSWORD_BYTES).toString("base64url");

/** A password from Vault we accept as is: ASCII without controls, long enough to be one of ours or an operator's. */
export const isUsablePassword = (value: unknown): value is string =>
  typeof value === "string" && value.length >= 16 && value.length <= 1024 && /^[\x21-\x7e]+$/.test(value);
