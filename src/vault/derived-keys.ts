// Keys bootgate derives from the IKM instead of storing them: each has its own HKDF label, so
// knowing one tells nothing about another, and none of them needs a place on a persistent disk.
//   seal key n      OpenBao's static seal (AES-256-GCM, 32 bytes), one per `vault.sealKeyId`
//   identity key    Ed25519: bootgate signs its Vault login JWTs with it; Vault holds the public half
//   snapshot key    AES-256-GCM: raft snapshots at rest (src/vault/cluster/snapshot-envelope.ts)
//   stack id        8 public bytes naming the IKM, so a snapshot of another stack is told apart from a damaged one
//   intermediate    AES-256-GCM: seals this boot's intermediate between pki-init and Vault's PKI engine
//   bootstrap       AES-256-GCM: seals Vault's and PostgreSQL's next leaves in the state folder (offline root)
import { createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from "node:crypto";

const SEAL_LABEL = "bootgate openbao static seal v1 key ";
const IDENTITY_LABEL = "bootgate openbao identity v1 ed25519";
const SNAPSHOT_LABEL = "bootgate openbao raft snapshot v1 aes-256-gcm";
const STACK_ID_LABEL = "bootgate stack id v1";
const INTERMEDIATE_LABEL = "bootgate pki intermediate v1 aes-256-gcm";
const BOOTSTRAP_LEAVES_LABEL = "bootgate pki bootstrap leaves v1 aes-256-gcm";
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410): the DER header, then the 32 bytes.
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const derive = (ikm: Buffer, label: string) => Buffer.from(hkdfSync("sha256", ikm, Buffer.alloc(0), label, 32));

/** The static seal key of generation `id`. The caller zeroes it when written. */
export function deriveSealKey(ikm: Buffer, id: number): Buffer {
  return derive(ikm, SEAL_LABEL + String(id));
}

/** The key raft snapshots are encrypted with. The caller zeroes it when done. */
export function deriveSnapshotKey(ikm: Buffer): Buffer {
  return derive(ikm, SNAPSHOT_LABEL);
}

/** A public name of the IKM (hex): HKDF output under its own label tells nothing of the other keys. */
export function deriveStackId(ikm: Buffer): string {
  return derive(ikm, STACK_ID_LABEL).subarray(0, 8).toString("hex");
}

/** The key that seals the intermediate on its way to Vault (src/pki/sealed-intermediate.ts). The caller zeroes it. */
export function deriveIntermediateSealKey(ikm: Buffer): Buffer {
  return derive(ikm, INTERMEDIATE_LABEL);
}

/** The key that seals the bootstrap leaves (src/pki/sealed-bootstrap-leaves.ts). The caller zeroes it. */
export function deriveBootstrapLeavesKey(ikm: Buffer): Buffer {
  return derive(ikm, BOOTSTRAP_LEAVES_LABEL);
}

export interface IdentityKey {
  privateKey: KeyObject;
  /** SPKI PEM: what Vault's JWT auth method validates against. */
  publicKeyPem: string;
}

export function deriveIdentityKey(ikm: Buffer): IdentityKey {
  const seed = derive(ikm, IDENTITY_LABEL);
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  try {
    const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    const publicKeyPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
    return { privateKey, publicKeyPem };
  } finally {
    seed.fill(0);
    der.fill(0);
  }
}
