// Enrollment with the PSK (no token), and every refusal the issue lists, against a real OpenBao
// and the agent: each with a clear message, logged with its reason (never the token), and nothing
// issued by Vault's PKI engine.
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { enrollRequest, fetchTrustedCa, type TrustedCa } from "../../../src/enroll/enroll-client.js";
import { makeCsr } from "../../../src/enroll/make-csr.js";
import { signPskRequest } from "../../../src/enroll/psk-statement.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { x509 } from "../../../src/pki/x509.js";
import { KEY_PROFILES, generateKeyPair } from "../../../src/pki/key-algorithms.js";
import { withBootgateLogin } from "../../../src/vault/bootgate-login.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { runCli } from "../../support/cli.js";
import { type EnrollStack, startEnrollStack } from "../../support/enroll-stack.js";
import { tempDir } from "../../support/tmp-dir.js";

/** Leaves Vault's PKI engine stored (it answers 404 for none). */
const issuedCount = (stack: EnrollStack) =>
  withBootgateLogin(stack.vault.config, async (admin) => {
    try {
      return ((await admin.api.list(`${stack.vault.config.vault.pkiMount}/certs`)) as { data: { keys: string[] } }).data.keys.length;
    } catch (error) {
      if (vaultStatusCode(error) === 404) return 0;
      throw error;
    }
  });

async function wildcardCsr(): Promise<string> {
  const keys = await generateKeyPair("ecdsa-p256");
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=edge-logs",
    keys,
    signingAlgorithm: KEY_PROFILES["ecdsa-p256"].signing,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "*.edge.internal" }])],
  });
  return csr.toString("pem");
}

function plainPost(port: number, path: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", headers: { "content-type": "application/json", authorization: "Bearer x.y.z" } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("bootgate enroll with the PSK, and what the enrollment API refuses (real OpenBao, bootgate agent)", () => {
  it("should enroll with only the PSK, and refuse a wrong PSK before sending anything", async () => {
    await using stack = await startEnrollStack({ psk: true });
    await using out = await tempDir("bootgate-enrollee-");
    const ok = await runCli(["enroll", "--server", stack.url, "--service", "edge-metrics", "--out", out.path, "--psk-file", stack.pskFile!]);
    expect(ok.stderr).toMatch(/enrolled edge-metrics/);
    expect(ok.code).toBe(0);
    const leaf = new X509Certificate(await readFile(join(out.path, "cert.pem")));
    const issuer = splitCertificates(stack.bundle)
      .map((p) => new X509Certificate(p))
      .find((c) => leaf.checkIssued(c))!;
    expect(leaf.verify(issuer.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toBe("DNS:edge-metrics");
    expect(stack.bodies.join("\n")).not.toMatch(/PRIVATE KEY/);
    expect(stack.lines.join("\n")).toMatch(/signed a leaf for edge-metrics \(PSK/);

    await using wrong = await tempDir("bootgate-enrollee-");
    const other = join(wrong.path, "other.psk");
    await writeFile(other, "y".repeat(43) + "\n", { mode: 0o600 });
    const before = stack.bodies.length;
    const refused = await runCli(["enroll", "--server", stack.url, "--service", "edge-metrics", "--out", join(wrong.path, "out"), "--psk-file", other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/PSK statement does not verify with --psk-file/);
    expect(existsSync(join(wrong.path, "out"))).toBe(false);
    expect(stack.bodies.length).toBe(before);
  }, 180_000);

  it("should refuse each bad request with its reason and issue nothing", async () => {
    await using stack = await startEnrollStack({ psk: true });
    const target = { host: "127.0.0.1", port: stack.port, serverName: "bootgate" };
    const ca: TrustedCa = await fetchTrustedCa(target, { fingerprint: stack.fingerprint });
    const pskCa = await fetchTrustedCa(target, { psk: Buffer.from((await readFile(stack.pskFile!, "utf8")).trim()) });
    const issuedBefore = await issuedCount(stack);
    const sign = (body: Record<string, unknown>, authorization?: string) =>
      enrollRequest(target, ca, "POST", "/ca/sign", { body, ...(authorization ? { authorization } : {}) });
    const csr = async (cn: string, names: string[] = []) => (await makeCsr("ecdsa-p256", cn, names)).csrPem;

    // A valid token, refused for every bad CSR, and still unused after them (the CSR is checked first).
    const token = await stack.token("edge-logs");
    const cases: [string, Promise<{ status: number; body: Record<string, unknown> }>, number, RegExp][] = [
      [
        "a CSR naming another service",
        sign({ service: "edge-logs", csr: await csr("edge-logs", ["edge-metrics"]) }, `Bearer ${token}`),
        400,
        /not edge-logs's \(edge-metrics\)/,
      ],
      ["a wildcard CSR", sign({ service: "edge-logs", csr: await wildcardCsr() }, `Bearer ${token}`), 400, /wildcard/],
      [
        "a garbage CSR",
        sign({ service: "edge-logs", csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n" }, `Bearer ${token}`),
        400,
        /unreadable certificate request/,
      ],
      ["no credentials", sign({ service: "edge-logs", csr: await csr("edge-logs") }), 401, /no credentials/],
      ["a made-up token", sign({ service: "edge-logs", csr: await csr("edge-logs") }, "Bearer a.b.c"), 401, /token refused/],
      [
        "a token for another service",
        sign({ service: "edge-metrics", csr: await csr("edge-metrics") }, `Bearer ${token}`),
        403,
        /for edge-logs, not edge-metrics/,
      ],
      ["a service that is not remote", sign({ service: "vault", csr: await csr("vault") }, `Bearer ${token}`), 403, /not a service marked remote/],
      [
        "a PSK request for a service that is not remote",
        sign({ service: "vault", csr: await csr("vault") }, `PSK ${signPskRequest(pskCa.pskKey!, "vault", Date.now())}`),
        403,
        /not a service marked remote/,
      ],
      [
        "a PSK-authenticated call to anything but enrollment",
        enrollRequest(target, ca, "GET", "/metrics", { authorization: `PSK ${signPskRequest(pskCa.pskKey!, "edge-logs", Date.now())}` }),
        403,
        /PSK allows enrollment only/,
      ],
    ];
    for (const [title, answer, status, reason] of cases) {
      const { status: got, body } = await answer;
      expect(got, title).toBe(status);
      expect(String(body.error), title).toMatch(reason);
    }
    // In the clear only GET /ca/cert: a POST is refused without its body being read.
    const clear = await plainPost(stack.port, "/ca/sign", JSON.stringify({ service: "edge-logs", csr: await csr("edge-logs") }));
    expect(clear.status).toBe(400);
    expect(clear.text).toMatch(/use https/);

    // Expired: a token of one second, used after it ran out.
    const shortLived = await stack.token("edge-metrics", "1s");
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await using out = await tempDir("bootgate-enrollee-");
    const expired = await runCli([
      "enroll",
      "--server",
      stack.url,
      "--service",
      "edge-metrics",
      "--out",
      join(out.path, "x"),
      "--fingerprint",
      stack.fingerprint,
      "--token",
      shortLived,
    ]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/HTTP 401\): enrollment token refused: expired/);
    expect(existsSync(join(out.path, "x"))).toBe(false);

    expect(await issuedCount(stack)).toBe(issuedBefore);
    const log = stack.lines.join("\n");
    expect(log.match(/enroll: refused/g)?.length).toBeGreaterThanOrEqual(cases.length + 2);
    expect(log).toMatch(/refused POST \/ca\/sign from 127\.0\.0\.1: certificate request refused: a wildcard name/);
    expect(log).not.toContain(token);
    expect(log).not.toContain(shortLived);

    // The token survived the bad CSRs: a good one now enrolls with it.
    const good = await sign({ service: "edge-logs", csr: await csr("edge-logs") }, `Bearer ${token}`);
    expect(good.status).toBe(200);
    expect(await issuedCount(stack)).toBe(issuedBefore + 1);

    // Two uses of one token at the same moment: Vault's check-and-set lets exactly one through.
    const raced = await stack.token("edge-metrics");
    const answers = await Promise.all([1, 2, 3].map(async () => sign({ service: "edge-metrics", csr: await csr("edge-metrics") }, `Bearer ${raced}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 401, 401]);
    expect(answers.filter((a) => a.status === 401).every((a) => /already used/.test(String(a.body.error)))).toBe(true);
    expect(await issuedCount(stack)).toBe(issuedBefore + 2);
  }, 180_000);
});
