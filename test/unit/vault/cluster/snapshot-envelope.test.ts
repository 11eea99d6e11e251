import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { openSnapshot, readSnapshotHeader, sealSnapshot, SnapshotRefused } from "../../../../src/vault/cluster/snapshot-envelope.js";
import { deriveSealKey, deriveSnapshotKey, deriveStackId } from "../../../../src/vault/derived-keys.js";

const ikm = Buffer.alloc(32, 7);
const key = deriveSnapshotKey(ikm);
const stackId = deriveStackId(ikm);
const archive = randomBytes(1000);
const sealed = sealSnapshot(archive, key, { stackId, sealKeyId: 2, createdAt: "2026-12-02T00:00:00.000Z" });
const expectations = { stackId, sealKeyIds: [2, 1] };

const refusal = (file: Buffer, k = key, e = expectations) => {
  try {
    openSnapshot(file, k, e);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotRefused);
    return (error as Error).message;
  }
  throw new Error("expected the snapshot to be refused");
};

describe("the snapshot envelope", () => {
  it("should give back the archive byte for byte with its header", () => {
    const opened = openSnapshot(sealed, key, expectations);
    expect(opened.archive.equals(archive)).toBe(true);
    expect(opened.header).toEqual({ v: 1, stackId, sealKeyId: 2, createdAt: "2026-12-02T00:00:00.000Z", size: 1000 });
  });

  it("should derive its key and stack id under their own labels: neither is the seal key", () => {
    expect(key.equals(deriveSealKey(ikm, 1))).toBe(false);
    expect(key).toHaveLength(32);
    expect(stackId).toMatch(/^[0-9a-f]{16}$/);
    expect(deriveStackId(Buffer.alloc(32, 8))).not.toBe(stackId);
  });

  it("should not carry the archive in clear", () => {
    expect(sealed.includes(archive.subarray(0, 32))).toBe(false);
  });

  it("should refuse a truncated file", () => {
    expect(refusal(sealed.subarray(0, sealed.length - 1))).toMatch(/cut short/);
    expect(refusal(sealed.subarray(0, 14))).toMatch(/inside its header/);
  });

  it("should refuse an altered ciphertext or header", () => {
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 40]! ^= 1;
    expect(refusal(flipped)).toMatch(/does not \(damaged, or altered\)/);
    const header = readSnapshotHeader(sealed).aad.toString("latin1").replace('"createdAt":"2026', '"createdAt":"2025');
    const reheaded = Buffer.concat([Buffer.from(header, "latin1"), sealed.subarray(header.length)]);
    expect(refusal(reheaded)).toMatch(/damaged, or altered/);
  });

  it("should refuse another stack's snapshot naming both stacks, and a wrong key", () => {
    const other = Buffer.alloc(32, 9);
    expect(refusal(sealed, deriveSnapshotKey(other), { stackId: deriveStackId(other), sealKeyIds: [2] })).toContain(`this one is of stack ${stackId}`);
    expect(refusal(sealed, deriveSnapshotKey(other), expectations)).toMatch(/does not/);
  });

  it("should refuse a snapshot of a seal key generation the config no longer holds", () => {
    expect(refusal(sealed, key, { stackId, sealKeyIds: [4, 3] })).toContain("belongs to generation 2");
  });

  it("should refuse a file that is not a snapshot", () => {
    expect(refusal(Buffer.from("PK\x03\x04 a zip"))).toMatch(/BGSNAP1/);
    expect(refusal(Buffer.alloc(0))).toMatch(/BGSNAP1/);
  });
});
