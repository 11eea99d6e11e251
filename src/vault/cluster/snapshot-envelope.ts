// A raft snapshot at rest: OpenBao's archive holds Vault's whole storage (encrypted by its barrier,
// but with the root key wrapped by the seal key, which the IKM gives), so bootgate adds its own
// layer: AES-256-GCM under a key derived from the IKM (its own HKDF label), with a clear header
// authenticated as associated data:
//   "BGSNAP1\n" | u32 header length | header JSON | 12-byte nonce | ciphertext | 16-byte tag
// The header carries the stack id (which IKM), the seal key generation the snapshot belongs to
// (Vault's hash file inside it is sealed with that key: see docs/openbao.md) and the archive's
// size, so a file of another stack, of a seal key this config no longer holds, or cut short, is
// refused with the reason before anything is sent to Vault.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const MAGIC = Buffer.from("BGSNAP1\n");
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 4096;

export interface SnapshotHeader {
  v: 1;
  stackId: string;
  sealKeyId: number;
  createdAt: string;
  /** The plain archive's length in bytes. */
  size: number;
}

/** Why a file is refused: the caller names the file and turns this into exit 2. */
export class SnapshotRefused extends Error {
  override name = "SnapshotRefused";
}

export function sealSnapshot(archive: Buffer, key: Buffer, header: Omit<SnapshotHeader, "v" | "size">): Buffer {
  const head = Buffer.from(JSON.stringify({ v: 1, ...header, size: archive.length } satisfies SnapshotHeader));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  const aad = Buffer.concat([MAGIC, length, head]);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(archive), cipher.final()]);
  return Buffer.concat([aad, nonce, body, cipher.getAuthTag()]);
}

/** The header alone (unauthenticated until opened): for a refusal that can say why. */
export function readSnapshotHeader(file: Buffer): { header: SnapshotHeader; aad: Buffer } {
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new SnapshotRefused("expected a bootgate snapshot (it starts with `BGSNAP1`); this file is something else or empty");
  }
  const length = file.readUInt32BE(MAGIC.length);
  const end = MAGIC.length + 4 + length;
  if (length > MAX_HEADER_BYTES || end > file.length) throw new SnapshotRefused("expected a whole snapshot; the file is cut short inside its header");
  let header: SnapshotHeader;
  try {
    header = JSON.parse(file.subarray(MAGIC.length + 4, end).toString("utf8")) as SnapshotHeader;
  } catch {
    throw new SnapshotRefused("expected a snapshot header in JSON; it does not parse");
  }
  if (header.v !== 1 || typeof header.stackId !== "string" || !Number.isInteger(header.sealKeyId) || !Number.isInteger(header.size)) {
    throw new SnapshotRefused("expected a version 1 snapshot header with stackId, sealKeyId and size");
  }
  return { header, aad: file.subarray(0, end) };
}

export interface OpenExpectations {
  stackId: string;
  /** The seal generations this config's Vault can open (current and previous). */
  sealKeyIds: readonly number[];
}

export function openSnapshot(file: Buffer, key: Buffer, expect: OpenExpectations): { archive: Buffer; header: SnapshotHeader } {
  const { header, aad } = readSnapshotHeader(file);
  if (header.stackId !== expect.stackId) {
    throw new SnapshotRefused(`expected a snapshot of this stack (id ${expect.stackId}, from its IKM); this one is of stack ${header.stackId}`);
  }
  if (!expect.sealKeyIds.includes(header.sealKeyId)) {
    throw new SnapshotRefused(
      `expected a snapshot of seal key generation ${expect.sealKeyIds.join(" or ")} (vault.sealKeyId and the one before); this one belongs to generation ${header.sealKeyId}, which Vault could not unseal after the restore`,
    );
  }
  const expectedLength = aad.length + NONCE_BYTES + header.size + TAG_BYTES;
  if (file.length !== expectedLength) {
    throw new SnapshotRefused(`expected ${expectedLength} bytes for a snapshot of ${header.size}; the file has ${file.length} (cut short or padded)`);
  }
  const nonce = file.subarray(aad.length, aad.length + NONCE_BYTES);
  const body = file.subarray(aad.length + NONCE_BYTES, file.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonce);
  decipher.setAAD(aad);
  decipher.setAuthTag(file.subarray(file.length - TAG_BYTES));
  try {
    return { archive: Buffer.concat([decipher.update(body), decipher.final()]), header };
  } catch {
    throw new SnapshotRefused("expected a snapshot that decrypts with this stack's snapshot key; it does not (damaged, or altered)");
  }
}
