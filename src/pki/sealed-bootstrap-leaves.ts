// The offline root's bootstrap (pki.ca.import with pki.issuer vault): Vault's listener and
// PostgreSQL must have their leaves at pki-ready, before Vault runs, and those leaves must chain
// to the root through Vault's intermediate, whose key never leaves Vault. So each boot's
// secretstore-setup has Vault issue the *next* boot's leaves for them and seals them here, in the
// state folder (AES-256-GCM under an IKM-derived key, 0600); the next pki-init opens them and
// writes them to the secrets volume. Only leaf keys are kept this way, never a CA key.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ensureDir, writeFilesAtomic } from "../fs/atomic-write.js";
import { deriveBootstrapLeavesKey } from "../vault/derived-keys.js";
import { offlinePkiDir, sealedBootstrapLeavesPath } from "../volume/layout.js";

const VERSION = 1;
const AAD = Buffer.from("bootgate pki bootstrap leaves v1");

export interface BootstrapLeaf {
  service: string;
  /** The leaf then the intermediate, as cert.pem holds it. */
  certPem: string;
  keyPem: string;
}

export interface BootstrapLeaves {
  /** The kernel boot whose secretstore-setup issued them: a later boot seals fresh ones. */
  issuedInBoot: string | undefined;
  leaves: BootstrapLeaf[];
}

interface SealedFile {
  v: number;
  iv: string;
  tag: string;
  data: string;
}

export async function writeSealedBootstrapLeaves(stateDir: string, ikm: Buffer, content: BootstrapLeaves): Promise<void> {
  const key = deriveBootstrapLeavesKey(ikm);
  const plain = Buffer.from(JSON.stringify(content));
  try {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    cipher.setAAD(AAD);
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const body: SealedFile = { v: VERSION, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
    await ensureDir(offlinePkiDir(stateDir), { mode: 0o700 });
    // On the persistent volume: synced, so a power loss leaves the old file or the new one.
    await writeFilesAtomic([{ path: sealedBootstrapLeavesPath(stateDir), data: JSON.stringify(body) + "\n", mode: 0o600 }]);
  } finally {
    key.fill(0);
    plain.fill(0);
  }
}

/** The sealed leaves, or undefined when there are none or they do not open (another IKM, damaged): pki-init then bootstraps. */
export async function readSealedBootstrapLeaves(stateDir: string, ikm: Buffer): Promise<BootstrapLeaves | undefined> {
  let text: string;
  try {
    text = await readFile(sealedBootstrapLeavesPath(stateDir), "utf8");
  } catch {
    return undefined;
  }
  const key = deriveBootstrapLeavesKey(ikm);
  try {
    const body = JSON.parse(text) as SealedFile;
    if (body.v !== VERSION) return undefined;
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(body.iv, "base64"));
    decipher.setAAD(AAD);
    decipher.setAuthTag(Buffer.from(body.tag, "base64"));
    const plain = Buffer.concat([decipher.update(Buffer.from(body.data, "base64")), decipher.final()]);
    try {
      return JSON.parse(plain.toString("utf8")) as BootstrapLeaves;
    } finally {
      plain.fill(0);
    }
  } catch {
    return undefined;
  } finally {
    key.fill(0);
  }
}
