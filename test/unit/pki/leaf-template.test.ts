import { createPrivateKey, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import { describe, expect, it } from "vitest";
import { keyAlgorithms } from "../../../src/config/sections/pki.js";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { generateKeyPair, KEY_PROFILES } from "../../../src/pki/key-algorithms.js";
import { issueLeaves } from "../../../src/pki/leaf-issue.js";
import { LeafTemplate, nodeSigningFor } from "../../../src/pki/leaf-template.js";
import { randomSerialHex } from "../../../src/pki/serial.js";
import { subtle, x509 } from "../../../src/pki/x509.js";

const DAY = 86_400_000;
const tbsOf = (der: ArrayBuffer) => {
  const cert = asn1js.fromBER(der).result as asn1js.Sequence;
  return Buffer.from(cert.valueBlock.value[0]!.valueBeforeDecodeView);
};

describe("the leaf template", () => {
  for (const algorithm of keyAlgorithms.filter((a) => a !== "rsa-4096" && a !== "rsa-3072")) {
    it(`should encode exactly what @peculiar/x509 encodes for the same leaf (${algorithm})`, { timeout: 30_000 }, async () => {
      const now = new Date();
      const ca = await createEphemeralCa({ algorithm, validityMs: 30 * DAY, now, kernelBootId: "k" });
      const signer = ca.signer!;
      const shared = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(KEY_PROFILES[algorithm].leafKeyUsage, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.AuthorityKeyIdentifierExtension(Buffer.from(signer.keyIdentifier).toString("hex")),
      ];
      const dates = { notBefore: new Date(now.getTime() - 1000), notAfter: new Date(now.getTime() + DAY) };
      const make = async (name: string, keys: Awaited<ReturnType<typeof generateKeyPair>>, serialNumber: string) =>
        x509.X509CertificateGenerator.create({
          subject: new x509.Name([{ CN: [name] }]),
          issuer: new x509.Name(signer.issuerDer),
          publicKey: keys.publicKey,
          signingKey: signer.key,
          serialNumber,
          ...dates,
          signingAlgorithm: signer.signing,
          extensions: [
            ...shared,
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
            new x509.SubjectAlternativeNameExtension([
              { type: "dns", value: name },
              { type: "ip", value: "10.1.2.3" },
              { type: "ip", value: "fd00::1" },
            ]),
          ],
        });
      const reference = await make("vault", await generateKeyPair(algorithm), randomSerialHex());
      const template = LeafTemplate.fromReference(reference, shared.length, signer.key, nodeSigningFor(signer.signing as { name: string }, signer.key));

      const keys = await generateKeyPair(algorithm);
      const serialHex = randomSerialHex();
      const byLibrary = await make("core-data", keys, serialHex);
      const spki = new Uint8Array(await subtle.exportKey("spki", keys.publicKey));
      const leaf = { serialHex, commonName: "core-data", spkiDer: spki, dns: ["core-data"], ip: ["10.1.2.3", "fd00::1"] };
      expect(Buffer.from(template.tbs(leaf)).equals(tbsOf(byLibrary.rawData))).toBe(true);
      // What pki-init uses: the same TBSCertificate with no reference leaf at all.
      const direct = LeafTemplate.forIssuer(signer, algorithm, dates.notBefore, dates.notAfter);
      expect(direct.tbs(leaf).equals(tbsOf(byLibrary.rawData))).toBe(true);
      if (algorithm === "ed25519" || algorithm.startsWith("rsa")) expect(direct.build(leaf).equals(Buffer.from(byLibrary.rawData))).toBe(true);

      const der = template.build(leaf);
      const cert = new X509Certificate(der);
      expect(cert.verify(ca.intermediate.publicKey)).toBe(true);
      expect(tbsOf(new Uint8Array(der).buffer).equals(tbsOf(byLibrary.rawData))).toBe(true);
      if (algorithm === "ed25519" || algorithm.startsWith("rsa")) {
        // Deterministic signatures: the whole certificate is the library's, byte for byte.
        expect(der.equals(Buffer.from(byLibrary.rawData))).toBe(true);
      }
    });
  }

  it("should issue a batch whose every leaf verifies, carries its own names and key, and has its own serial", async () => {
    const now = new Date();
    const ca = await createEphemeralCa({ algorithm: "ecdsa-p384", validityMs: 30 * DAY, now, kernelBootId: "k" });
    const services = Array.from({ length: 12 }, (_, i) => ({ name: `svc-${i}`, dns: [`svc-${i}.internal`], ip: [`10.0.0.${i}`] }));
    const leaves = await issueLeaves(
      ca,
      services.map((service) => ({ service, algorithm: "ecdsa-p384" as const, validityMs: 30 * DAY, now })),
    );
    expect(leaves.map((l) => l.service)).toEqual(services.map((s) => s.name));
    for (const [i, leaf] of leaves.entries()) {
      const cert = new X509Certificate(leaf.certPem);
      expect(cert.verify(ca.intermediate.publicKey)).toBe(true);
      expect(cert.subject).toBe(`CN=svc-${i}`);
      expect(cert.subjectAltName).toBe(`DNS:svc-${i}, DNS:svc-${i}.internal, IP Address:10.0.0.${i}`);
      expect(cert.serialNumber.toLowerCase()).toBe(leaf.serial);
      expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
      expect(new Date(cert.validTo).getTime()).toBe(Math.floor(leaf.notAfter.getTime() / 1000) * 1000);
    }
    expect(new Set(leaves.map((l) => l.serial)).size).toBe(12);
  });
});
