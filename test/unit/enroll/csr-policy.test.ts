import { describe, expect, it } from "vitest";
import { checkCsr } from "../../../src/enroll/csr-policy.js";
import { makeCsr } from "../../../src/enroll/make-csr.js";
import { KEY_PROFILES, generateKeyPair } from "../../../src/pki/key-algorithms.js";
import { subtle, x509 } from "../../../src/pki/x509.js";

const SERVICE = { name: "edge-logs", dns: ["logs.edge.internal"], ip: ["10.20.0.2"] };

async function customCsr(options: {
  algorithm?: "ecdsa-p256" | "rsa-2048";
  rsaBits?: number;
  name?: string;
  extensions?: x509.Extension[];
  attributes?: x509.Attribute[];
}) {
  const keys = options.rsaBits
    ? ((await subtle.generateKey(
        { name: "RSASSA-PKCS1-v1_5", modulusLength: options.rsaBits, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
        true,
        ["sign", "verify"],
      )) as Awaited<ReturnType<typeof generateKeyPair>>)
    : await generateKeyPair(options.algorithm ?? "ecdsa-p256");
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.name ?? "CN=edge-logs",
    keys,
    signingAlgorithm: options.rsaBits ? { name: "RSASSA-PKCS1-v1_5" } : KEY_PROFILES[options.algorithm ?? "ecdsa-p256"].signing,
    extensions: options.extensions ?? [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "edge-logs" }])],
    ...(options.attributes ? { attributes: options.attributes } : {}),
  });
  return csr.toString("pem");
}

describe("the CSR policy of POST /ca/sign", () => {
  it("should accept a request for a subset of the service's names and report exactly those", async () => {
    const { csrPem, keyPem } = await makeCsr("ecdsa-p256", "edge-logs", ["logs.edge.internal", "10.20.0.2"]);
    const verdict = await checkCsr(csrPem, SERVICE, "ecdsa-p256");
    expect(verdict).toMatchObject({ ok: true, names: { commonName: "edge-logs", dns: ["edge-logs", "logs.edge.internal"], ip: ["10.20.0.2"] } });
    // The request carries no private key, only the public one.
    expect(csrPem).not.toMatch(/PRIVATE KEY/);
    expect(keyPem).toMatch(/BEGIN PRIVATE KEY/);
  });

  it("should accept Ed25519 where the stack uses it", async () => {
    const { csrPem } = await makeCsr("ed25519", "edge-logs", []);
    expect((await checkCsr(csrPem, SERVICE, "ed25519")).ok).toBe(true);
  });

  const refusals: [string, () => Promise<string>, RegExp][] = [
    ["a name of another service", async () => (await makeCsr("ecdsa-p256", "edge-logs", ["core-data"])).csrPem, /not edge-logs's \(core-data\)/],
    ["a common name of another service", async () => (await makeCsr("ecdsa-p256", "core-data", [])).csrPem, /not edge-logs's/],
    ["an IP address not configured", async () => (await makeCsr("ecdsa-p256", "edge-logs", ["10.20.0.3"])).csrPem, /10\.20\.0\.3/],
    ["a wildcard", () => customCsr({ extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "*.edge.internal" }])] }), /wildcard/],
    ["a CA request", () => customCsr({ extensions: [new x509.BasicConstraintsExtension(true, undefined, true)] }), /CA certificate/],
    [
      "an extra extension",
      () => customCsr({ extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)] }),
      /extension other than subjectAltName \(2\.5\.29\.15\)/,
    ],
    ["an e-mail SAN", () => customCsr({ extensions: [new x509.SubjectAlternativeNameExtension([{ type: "email", value: "a@b.c" }])] }), /type email/],
    ["subject fields beyond CN", () => customCsr({ name: "CN=edge-logs, O=Evil" }), /other than CN/],
    ["an RSA key below 2048 bits", () => customCsr({ rsaBits: 1024 }), /RSA key of 1024 bits/],
    ["a key of another algorithm than the stack's", () => customCsr({ algorithm: "rsa-2048", rsaBits: 2048 }), /where the stack uses ecdsa-p256/],
    ["garbage", () => Promise.resolve("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"), /unreadable certificate request/],
    ["text that is not PEM", () => Promise.resolve("hello"), /not a PEM certificate request/],
  ];

  it.each(refusals)("should refuse %s with its reason", async (_title, make, reason) => {
    const verdict = await checkCsr(await make(), SERVICE, "ecdsa-p256");
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.reason).toMatch(reason);
  });

  it("should refuse a request whose signature does not verify", async () => {
    const good = await makeCsr("ecdsa-p256", "edge-logs", []);
    const other = await makeCsr("ecdsa-p256", "edge-logs", []);
    // Swap the public key: the signature no longer matches it.
    const a = new x509.Pkcs10CertificateRequest(good.csrPem);
    const b = new x509.Pkcs10CertificateRequest(other.csrPem);
    const der = Buffer.from(a.rawData);
    const keyA = Buffer.from(a.publicKey.rawData);
    const keyB = Buffer.from(b.publicKey.rawData);
    const at = der.indexOf(keyA);
    expect(at).toBeGreaterThan(0);
    keyB.copy(der, at);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END CERTIFICATE REQUEST-----\n`;
    const verdict = await checkCsr(pem, SERVICE, "ecdsa-p256");
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/signature does not verify/) });
  });
});
