import { X509Certificate, createPrivateKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { keyAlgorithms } from "../../../src/config/sections/pki.js";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { issueLeaf } from "../../../src/pki/leaf-issue.js";
import { x509 } from "../../../src/pki/x509.js";

const DAY = 86_400_000;
const service = { name: "vault", dns: ["vault.internal"], ip: ["127.0.0.1", "::1"] };

describe("a leaf issued by an ephemeral CA", () => {
  for (const algorithm of keyAlgorithms) {
    it(`should carry the service's names, usages, a 128-bit serial and a matching PKCS#8 key (${algorithm})`, { timeout: 60_000 }, async () => {
      const now = new Date();
      const ca = await createEphemeralCa({ algorithm, validityMs: 10 * DAY, now, kernelBootId: "k" });
      const leaf = await issueLeaf(ca, { service, algorithm, validityMs: 10 * DAY, now });
      const cert = new X509Certificate(leaf.certPem);

      expect(cert.subject).toBe("CN=vault");
      expect(cert.subjectAltName).toBe("DNS:vault, DNS:vault.internal, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
      expect(cert.verify(ca.intermediate.publicKey)).toBe(true);
      expect(cert.checkIssued(ca.intermediate)).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
      expect(cert.serialNumber).not.toMatch(/^00/);
      expect(new Date(cert.validTo).getTime()).toBeGreaterThan(now.getTime() + 10 * DAY - 2000);
      expect(new Date(cert.validTo).getTime()).toBeLessThanOrEqual(now.getTime() + 10 * DAY);
      expect(new Date(cert.validFrom).getTime()).toBeLessThan(now.getTime());

      expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);

      const parsed = new x509.X509Certificate(leaf.certPem);
      const eku = parsed.getExtension(x509.ExtendedKeyUsageExtension)!;
      expect(eku.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);
      const ku = parsed.getExtension(x509.KeyUsagesExtension)!;
      const expected = algorithm.startsWith("rsa")
        ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
        : x509.KeyUsageFlags.digitalSignature;
      expect(ku.usages).toBe(expected);
      expect(ku.critical).toBe(true);
      const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)!;
      const caSki = new x509.X509Certificate(ca.intermediate.raw).getExtension(x509.SubjectKeyIdentifierExtension)!;
      expect(aki.keyId).toBe(caSki.keyId);
    });
  }

  it("should never outlive its CA", async () => {
    const now = new Date();
    const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: DAY, now, kernelBootId: "k" });
    const leaf = await issueLeaf(ca, { service, algorithm: "ecdsa-p256", validityMs: 400 * DAY, now });
    expect(leaf.notAfter.getTime()).toBe(ca.notAfter.getTime());
  });

  it("should give every leaf a different serial", async () => {
    const now = new Date();
    const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: DAY, now, kernelBootId: "k" });
    const leaves = await Promise.all(Array.from({ length: 50 }, () => issueLeaf(ca, { service, algorithm: "ecdsa-p256", validityMs: DAY, now })));
    expect(new Set(leaves.map((l) => l.serial)).size).toBe(50);
  });
});
