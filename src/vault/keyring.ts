// The keyring: Vault's init response (unseal or recovery key shares) on the persistent volume,
// encrypted with AES-256-GCM under a key derived by HKDF-SHA256 from the operator's IKM and a
// random salt kept in the file. The header is bound as additional authenticated data, so a
// changed salt or version fails like a wrong key. Nothing in it is readable without the IKM.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { ensureDir, writeFileAtomic } from "../fs/atomic-write.js";
import { keyringPath } from "../volume/layout.js";

export const KEYRING_FORMAT = "bootgate-keyring";
const HKDF_INFO = "bootgate keyring v1 aes-256-gcm";

/** What the keyring protects. `recovery` keys come from an auto-unsealing Vault. */
export interface KeyringSecrets {
  kind: "unseal" | "recovery";
  /** The key shares, base64 as Vault returned them. */
  keysB64: string[];
  shares: number;
  threshold: number;
  createdAt: string;
}

interface KeyringFile {
  format: typeof KEYRING_FORMAT;
  version: 1;
  kdf: { name: "hkdf-sha256"; salt: string };
  cipher: { name: "aes-256-gcm"; iv: string; tag: string };
  ciphertext: string;
}

export class KeyringError extends Error {
  override name = "KeyringError";
}

function deriveKey(ikm: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, HKDF_INFO, 32));
}

const aadOf = (file: Pick<KeyringFile, "format" | "version" | "kdf">) => Buffer.from(JSON.stringify([file.format, file.version, file.kdf.name, file.kdf.salt]));

export function encryptKeyring(secrets: KeyringSecrets, ikm: Buffer, salt: Buffer = randomBytes(32)): string {
  const key = deriveKey(ikm, salt);
  const iv = randomBytes(12);
  const header = { format: KEYRING_FORMAT, version: 1, kdf: { name: "hkdf-sha256", salt: salt.toString("base64") } } as const;
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aadOf(header));
  const plain = Buffer.from(JSON.stringify(secrets));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  plain.fill(0);
  key.fill(0);
  const file: KeyringFile = {
    ...header,
    cipher: { name: "aes-256-gcm", iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64") },
    ciphertext: ciphertext.toString("base64"),
  };
  return JSON.stringify(file, null, 2) + "\n";
}

function parseKeyringFile(text: string, path: string): KeyringFile {
  let parsed: Partial<KeyringFile>;
  try {
    parsed = JSON.parse(text) as Partial<KeyringFile>;
  } catch {
    throw new KeyringError(`cannot decrypt the keyring ${path}: expected a bootgate keyring (JSON), got something else`);
  }
  if (parsed.format !== KEYRING_FORMAT || parsed.version !== 1 || parsed.kdf?.name !== "hkdf-sha256" || parsed.cipher?.name !== "aes-256-gcm") {
    throw new KeyringError(`cannot decrypt the keyring ${path}: expected format ${KEYRING_FORMAT} version 1 (hkdf-sha256, aes-256-gcm)`);
  }
  return parsed as KeyringFile;
}

export function decryptKeyring(text: string, ikm: Buffer, path = "(keyring)"): KeyringSecrets {
  const file = parseKeyringFile(text, path);
  const key = deriveKey(ikm, Buffer.from(file.kdf.salt, "base64"));
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(file.cipher.iv, "base64"));
    decipher.setAAD(aadOf(file));
    decipher.setAuthTag(Buffer.from(file.cipher.tag, "base64"));
    const plain = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, "base64")), decipher.final()]);
    const secrets = JSON.parse(plain.toString("utf8")) as KeyringSecrets;
    plain.fill(0);
    return secrets;
  } catch (error) {
    throw new KeyringError(
      `cannot decrypt the keyring ${path}: the input key material (vault.ikm) is not the one it was written with, or the file was altered`,
      { cause: error },
    );
  } finally {
    key.fill(0);
  }
}

/** The keyring's text, or undefined when there is none yet. */
export async function readKeyringText(stateDir: string): Promise<string | undefined> {
  try {
    return await readFile(keyringPath(stateDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function loadKeyring(stateDir: string, ikm: Buffer): Promise<KeyringSecrets | undefined> {
  const text = await readKeyringText(stateDir);
  return text === undefined ? undefined : decryptKeyring(text, ikm, keyringPath(stateDir));
}

/** Writes a new keyring atomically, 0600 in a 0700 folder. Callers never overwrite one that exists. */
export async function saveKeyring(stateDir: string, secrets: KeyringSecrets, ikm: Buffer): Promise<void> {
  const path = keyringPath(stateDir);
  await ensureDir(dirname(path), { mode: 0o700 });
  await writeFileAtomic(path, encryptKeyring(secrets, ikm), { mode: 0o600 });
}
