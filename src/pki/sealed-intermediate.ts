// The intermediate, sealed with AES-256-GCM under a key derived from the IKM (its own HKDF label,
// src/vault/derived-keys.ts), in bootgate's folder on the secrets tmpfs: what secretstore-setup
// imports when pki-init's handoff is not there (a crash between the stages, a `--only` run).
// Never in clear on disk; removed as soon as Vault's PKI engine holds the intermediate.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { ensureDir, writeFilesAtomic } from "../fs/atomic-write.js";
import { deriveIntermediateSealKey } from "../vault/derived-keys.js";
import { bootgateDir, sealedIntermediatePath } from "../volume/layout.js";
import type { PendingIntermediate } from "./pending-intermediate.js";

const VERSION = 1;
/** Binds the ciphertext to what it is, so no other sealed blob of bootgate's can stand in for it. */
const AAD = Buffer.from("bootgate pki intermediate v1");

interface SealedFile {
  v: number;
  iv: string;
  tag: string;
  data: string;
}

export async function writeSealedIntermediate(secretsDir: string, ikm: Buffer, pending: PendingIntermediate): Promise<void> {
  const key = deriveIntermediateSealKey(ikm);
  const plain = Buffer.from(JSON.stringify(pending));
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const body: SealedFile = { v: VERSION, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
    await ensureDir(bootgateDir(secretsDir), { mode: 0o700, uid: 0, gid: 0 });
    await writeFilesAtomic([{ path: sealedIntermediatePath(secretsDir), data: JSON.stringify(body) + "\n", mode: 0o600, uid: 0, gid: 0 }]);
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

/** The sealed intermediate, or undefined when there is none; a file that does not open is an error naming it. */
export async function readSealedIntermediate(secretsDir: string, ikm: Buffer): Promise<PendingIntermediate | undefined> {
  const path = sealedIntermediatePath(secretsDir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const key = deriveIntermediateSealKey(ikm);
  try {
    const body = JSON.parse(text) as SealedFile;
    if (body.v !== VERSION) throw new Error(`version ${String(body.v)}`);
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(body.iv, "base64"));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(body.tag, "base64"));
    const plain = Buffer.concat([decipher.update(Buffer.from(body.data, "base64")), decipher.final()]);
    try {
      return JSON.parse(plain.toString("utf8")) as PendingIntermediate;
    } finally {
      plain.fill(0);
    }
  } catch {
    // Never the cause's text: it could quote what was decrypted.
    throw new Error(`${path} does not open with this IKM (another IKM, or damaged): remove it and run pki-init again (a new CA for this boot)`);
  } finally {
    key.fill(0);
  }
}

export async function removeSealedIntermediate(secretsDir: string): Promise<void> {
  await rm(sealedIntermediatePath(secretsDir), { force: true });
}
