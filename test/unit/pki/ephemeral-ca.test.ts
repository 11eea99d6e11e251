import { describe, expect, it } from "vitest";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { x509 } from "../../../src/pki/x509.js";

const DAY = 86_400_000;

describe("an ephemeral CA", () => {
  it("should be a self-signed root and an intermediate with pathLen 0, both for signing certificates only", async () => {
    const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: 90 * DAY, now: new Date(), kernelBootId: "boot-1" });
    expect(ca.root.verify(ca.root.publicKey)).toBe(true);
    expect(ca.intermediate.verify(ca.root.publicKey)).toBe(true);
    expect(ca.intermediate.checkIssued(ca.root)).toBe(true);

    const root = new x509.X509Certificate(ca.root.raw);
    const intermediate = new x509.X509Certificate(ca.intermediate.raw);
    expect(root.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(intermediate.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(intermediate.getExtension(x509.BasicConstraintsExtension)?.pathLength).toBe(0);
    for (const cert of [root, intermediate]) {
      expect(cert.getExtension(x509.KeyUsagesExtension)?.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    }
    expect(intermediate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId);
    expect(ca.bundlePem).toBe(ca.root.toString().trimEnd() + "\n" + ca.intermediate.toString().trimEnd() + "\n");
    expect(ca.root.subject).toContain("OU=kernel boot boot-1");
  });

  it("should keep only the intermediate's key, and that one not exportable", async () => {
    const ca = await createEphemeralCa({ algorithm: "ed25519", validityMs: DAY, now: new Date(), kernelBootId: "boot-1" });
    expect(ca.signer?.key.extractable).toBe(false);
    expect(ca.signer?.key.type).toBe("private");
    expect(Object.keys(ca)).not.toContain("rootKey");
  });
});
