import { describe, expect, it } from "vitest";
import { checkBundle, normalizeFingerprint, rootFingerprint, sha256Hex } from "../../../src/enroll/ca-bundle.js";
import { mint } from "../../support/pki-fixtures.js";

describe("the bundle check an enrollee makes before trusting anything", () => {
  it("should accept the bundle whose root has the pinned fingerprint, and refuse another CA's", async () => {
    const root = await mint({ name: "root", ca: true });
    const intermediate = await mint({ name: "intermediate", ca: true, issuer: root });
    const bundle = root.pem + intermediate.pem;
    const fingerprint = rootFingerprint(bundle);
    expect(fingerprint).toBe(root.cert.rawData && sha256Hex(Buffer.from(root.cert.rawData)));
    expect(checkBundle(bundle, { fingerprint })).toMatchObject({ ok: true, rootPem: root.pem });

    const evil = await mint({ name: "root", ca: true });
    const evilIntermediate = await mint({ name: "intermediate", ca: true, issuer: evil });
    expect(checkBundle(evil.pem + evilIntermediate.pem, { fingerprint })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/fingerprint is [0-9a-f]{64}, expected/),
    });
    // The right root with a foreign certificate slipped in beside it: refused, not trusted as an anchor.
    expect(checkBundle(bundle + evil.pem, { fingerprint })).toMatchObject({ ok: false, reason: expect.stringMatching(/one self-signed root/) });
    expect(checkBundle(bundle + evilIntermediate.pem, { fingerprint })).toMatchObject({ ok: false, reason: expect.stringMatching(/not issued by its root/) });
  });

  it("should accept a bundle by the SHA-256 of its text (the PSK statement) and refuse a changed one", async () => {
    const root = await mint({ name: "root", ca: true });
    expect(checkBundle(root.pem, { bundleSha256: sha256Hex(root.pem) }).ok).toBe(true);
    expect(checkBundle(root.pem + "\n", { bundleSha256: sha256Hex(root.pem) }).ok).toBe(false);
  });

  it("should read fingerprints as openssl and step print them", () => {
    const hex = "ab".repeat(32);
    expect(normalizeFingerprint(hex.toUpperCase().replace(/(..)(?!$)/g, "$1:"))).toBe(hex);
    expect(normalizeFingerprint(`sha256 Fingerprint=${hex.toUpperCase().replace(/(..)(?!$)/g, "$1:")}`)).toBe(hex);
    expect(normalizeFingerprint("abc")).toBeUndefined();
  });
});
