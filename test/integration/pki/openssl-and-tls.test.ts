// pki-init's output checked with tools other than our own, for every key algorithm: openssl
// verify and openssl x509 -text, and real TLS handshakes (server auth by service name, and
// mutual TLS with another service's certificate).
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { keyAlgorithms } from "../../../src/config/sections/pki.js";
import { runBuiltCli, writePkiTestConfig } from "../../support/pki.js";
import { mint } from "../../support/pki-fixtures.js";
import { requestOverTls, serviceFiles, startMutualTlsServer } from "../../support/pki-tls.js";
import { tempDir } from "../../support/tmp-dir.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";

const SERVICES = [{ name: "vault", dns: ["vault.internal"], ip: ["127.0.0.1"] }, { name: "postgres", ip: ["127.0.0.1", "::1"] }, { name: "core-data" }];

const PUBLIC_KEY_TEXT: Record<string, RegExp> = {
  "ecdsa-p256": /id-ecPublicKey[\s\S]*ASN1 OID: prime256v1/,
  "ecdsa-p384": /id-ecPublicKey[\s\S]*ASN1 OID: secp384r1/,
  "rsa-2048": /rsaEncryption[\s\S]*Public-Key: \(2048 bit\)/,
  "rsa-3072": /rsaEncryption[\s\S]*Public-Key: \(3072 bit\)/,
  "rsa-4096": /rsaEncryption[\s\S]*Public-Key: \(4096 bit\)/,
  ed25519: /Public Key Algorithm: ED25519/,
};

const openssl = (args: string[]) => execa("openssl", args, { reject: false, stdin: "ignore" });

beforeAll(async () => {
  const version = await openssl(["version"]);
  if (version.exitCode !== 0) throw new Error("openssl CLI not found: install Debian's `openssl` package");
});

describe.each(keyAlgorithms)("pki-init with %s keys", (algorithm) => {
  let secrets: string;

  beforeAll(async () => {
    const dir = await tempDir();
    const config = await writePkiTestConfig(dir.path, { services: SERVICES, pki: { keyAlgorithm: algorithm, validity: "30d" } });
    const run = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(run.exitCode, run.stderr).toBe(0);
    secrets = join(dir.path, "secrets");
    return () => dir[Symbol.asyncDispose]();
  }, 120_000);

  it("should give leaves that openssl verifies against ca/ca.pem and against each service's ca.pem", async () => {
    for (const { name } of SERVICES) {
      for (const caFile of [caBundlePath(secrets), servicePath(secrets, name, "ca")]) {
        const result = await openssl(["verify", "-purpose", "sslserver", "-CAfile", caFile, servicePath(secrets, name, "cert")]);
        expect(result.stdout, result.stderr).toBe(`${servicePath(secrets, name, "cert")}: OK`);
        const client = await openssl(["verify", "-purpose", "sslclient", "-CAfile", caFile, servicePath(secrets, name, "cert")]);
        expect(client.stdout, client.stderr).toMatch(/: OK$/);
      }
    }
  });

  it("should show the service's SANs, usages, algorithm and validity in openssl x509 -text", async () => {
    const { stdout } = await openssl(["x509", "-in", servicePath(secrets, "vault", "cert"), "-noout", "-text"]);
    expect(stdout).toMatch(/Subject: CN ?= ?vault\n/);
    expect(stdout).toMatch(/X509v3 Subject Alternative Name: *\n\s*DNS:vault, DNS:vault.internal, IP Address:127.0.0.1\n/);
    expect(stdout).toMatch(/X509v3 Extended Key Usage: *\n\s*TLS Web Server Authentication, TLS Web Client Authentication\n/);
    const usage = algorithm.startsWith("rsa") ? "Digital Signature, Key Encipherment" : "Digital Signature";
    expect(stdout).toMatch(new RegExp(`X509v3 Key Usage: critical\\n\\s*${usage}\\n`));
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\n\s*CA:FALSE/);
    expect(stdout).toMatch(PUBLIC_KEY_TEXT[algorithm]!);
    const notBefore = Date.parse(/Not Before: (.*)/.exec(stdout)![1]!);
    const notAfter = Date.parse(/Not After : (.*)/.exec(stdout)![1]!);
    // 30 days, plus the five minutes the start is backdated by.
    expect(notAfter - notBefore).toBe(30 * 86_400_000 + 5 * 60_000);
    expect(notAfter).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const postgres = await openssl(["x509", "-in", servicePath(secrets, "postgres", "cert"), "-noout", "-ext", "subjectAltName"]);
    expect(postgres.stdout).toMatch(/DNS:postgres, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1/);
  });

  it("should show an intermediate with pathlen 0 that may only sign certificates and CRLs", async () => {
    const bundle = await readFile(caBundlePath(secrets), "utf8");
    const intermediate = bundle.slice(bundle.indexOf("-----END CERTIFICATE-----") + 26);
    const { stdout } = await execa("openssl", ["x509", "-noout", "-text"], { input: intermediate });
    expect(stdout).toMatch(/X509v3 Basic Constraints: critical\n\s*CA:TRUE, pathlen:0/);
    expect(stdout).toMatch(/X509v3 Key Usage: critical\n\s*Certificate Sign, CRL Sign/);
    expect(stdout).toMatch(/X509v3 Authority Key Identifier/);
  });

  it("should complete a mutual TLS handshake by service name: vault serves, core-data is the client", async () => {
    const vault = await serviceFiles(secrets, "vault");
    const coreData = await serviceFiles(secrets, "core-data");
    await using server = await startMutualTlsServer(vault);
    const answer = await requestOverTls({ port: server.port, servername: "vault", ca: coreData.ca, client: { cert: coreData.cert, key: coreData.key } });
    expect(answer).toEqual({ body: "core-data", serverCn: "vault" });
  });

  it("should refuse a server that is not the service the client asked for, a client without a certificate, and a client that trusts another CA", async () => {
    const vault = await serviceFiles(secrets, "vault");
    const coreData = await serviceFiles(secrets, "core-data");
    await using server = await startMutualTlsServer(vault);
    const client = { cert: coreData.cert, key: coreData.key };
    await expect(requestOverTls({ port: server.port, servername: "postgres", ca: coreData.ca, client })).rejects.toMatchObject({
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
    await expect(requestOverTls({ port: server.port, servername: "vault", ca: coreData.ca })).rejects.toThrow();
    const foreign = await mint({ name: "Foreign CA", ca: true });
    await expect(requestOverTls({ port: server.port, servername: "vault", ca: foreign.pem, client })).rejects.toMatchObject({
      code: expect.stringMatching(/UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE/),
    });
  });
});
