// A remote service enrolls against a real OpenBao through `bootgate agent`'s enrollment API with
// the root's fingerprint and a one-time token: the leaf verifies against the stack's bundle and
// carries exactly the names asked for, its key never left the enrollee, the token works once, and
// a man in the middle serving another CA is refused before the token is sent.
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { enrollOnce, fetchParameters, fetchTrustedCa } from "../../../src/enroll/enroll-client.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { withBootgateLogin } from "../../../src/vault/bootgate-login.js";
import { freePort } from "../../../src/servers/free-port.js";
import { serviceDir } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { startEnrollStack } from "../../support/enroll-stack.js";
import { mint } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("bootgate enroll with a pinned fingerprint (real OpenBao, bootgate agent)", () => {
  it("should enroll a remote service once per token, with exactly the names asked for, the key made on the enrollee", async () => {
    await using stack = await startEnrollStack();
    await using out = await tempDir("bootgate-enrollee-");
    const dir = join(out.path, "edge-logs");
    // pki-init wrote no folder for a remote service.
    expect(existsSync(serviceDir(stack.vault.config.secretsDir, "edge-logs"))).toBe(false);

    const token = await stack.token("edge-logs");
    const fingerprint = stack.fingerprint.toUpperCase().replace(/(..)(?!$)/g, "$1:");
    const args = [
      "enroll",
      "--server",
      stack.url,
      "--service",
      "edge-logs",
      "--out",
      dir,
      "--fingerprint",
      fingerprint,
      "--name",
      "logs.edge.internal",
      "--name",
      "10.77.0.2",
    ];
    const first = await runCli([...args, "--token", token]);
    expect(first.stderr).toMatch(/enrolled edge-logs/);
    expect(first.code).toBe(0);

    const certPem = await readFile(join(dir, "cert.pem"), "utf8");
    const keyPem = await readFile(join(dir, "key.pem"), "utf8");
    const [leafPem, ...chain] = splitCertificates(certPem);
    const leaf = new X509Certificate(leafPem!);
    const [root, intermediate] = splitCertificates(stack.bundle).map((p) => new X509Certificate(p));
    const issuer = [root!, intermediate!].find((c) => !c.checkIssued(c))!;
    const anchor = [root!, intermediate!].find((c) => c.checkIssued(c))!;
    expect(leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey)).toBe(true);
    expect(issuer.verify(anchor.publicKey)).toBe(true);
    expect(chain.map((p) => new X509Certificate(p).fingerprint256)).toEqual([issuer.fingerprint256]);
    expect(leaf.subjectAltName!.split(", ").sort()).toEqual(["DNS:edge-logs", "DNS:logs.edge.internal", "IP Address:10.77.0.2"]);
    expect(leaf.checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect((await stat(join(dir, "key.pem"))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, "ca.pem"), "utf8")).toBe(splitCertificates(stack.bundle).join(""));

    // The agent read one CSR and no private key; the token is in no log line.
    expect(stack.bodies.length).toBe(1);
    expect(stack.bodies.join("\n")).toMatch(/BEGIN CERTIFICATE REQUEST/);
    expect(stack.bodies.join("\n")).not.toMatch(/PRIVATE KEY/);
    expect(stack.lines.join("\n")).not.toContain(token);
    expect(stack.lines.join("\n")).toMatch(/signed a leaf for edge-logs \(one-time token/);

    // Used once: the same token again is refused and nothing is issued.
    await using again = await tempDir("bootgate-enrollee-");
    const reuse = await runCli([...args.map((a) => (a === dir ? again.path : a)), "--token", token]);
    expect(reuse.code).toBe(1);
    expect(reuse.stderr).toMatch(/token already used/);
    expect(existsSync(join(again.path, "cert.pem"))).toBe(false);
    expect(reuse.stderr).not.toContain(token);

    // Renewal by mutual TLS works with the current leaf, and not once Vault has revoked it.
    const target = { host: "127.0.0.1", port: stack.port, serverName: "bootgate" };
    const ca = await fetchTrustedCa(target, { fingerprint: stack.fingerprint });
    const params = await fetchParameters(target, ca);
    const identity = async () => ({ certPem: await readFile(join(dir, "cert.pem"), "utf8"), keyPem: await readFile(join(dir, "key.pem"), "utf8") });
    const renewed = await enrollOnce(target, ca, params, {
      service: "edge-logs",
      names: ["logs.edge.internal", "10.77.0.2"],
      outDir: dir,
      credential: { identity: await identity() },
    });
    expect(renewed.serial).not.toBe(leaf.serialNumber.toLowerCase());
    const current = await identity();
    await withBootgateLogin(stack.vault.config, (admin) =>
      admin.api.write(`${stack.vault.config.vault.pkiMount}/revoke`, { certificate: splitCertificates(current.certPem)[0] }),
    );
    await expect(enrollOnce(target, ca, params, { service: "edge-logs", names: [], outDir: dir, credential: { identity: current } })).rejects.toThrow(
      /HTTP 403\): the client certificate \(serial [0-9a-f]+\) is revoked/,
    );
    expect(await readFile(join(dir, "cert.pem"), "utf8")).toBe(current.certPem);
  });

  it("should stop before sending its token when the bundle served is another CA's, and write nothing", async () => {
    await using stack = await startEnrollStack();
    const token = await stack.token("edge-metrics");
    // A man in the middle on the way to the agent: it answers GET /ca/cert with its own CA.
    const evilRoot = await mint({ name: "bootgate root", ca: true });
    const evilIntermediate = await mint({ name: "bootgate intermediate", ca: true, issuer: evilRoot });
    const seen: Buffer[] = [];
    const mitm = createServer((socket: Socket) => {
      socket.on("data", (chunk: Buffer) => {
        seen.push(chunk);
        const body = JSON.stringify({ bundle: evilRoot.pem + evilIntermediate.pem });
        socket.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => mitm.listen(port, "127.0.0.1", resolve));
    try {
      await using out = await tempDir("bootgate-enrollee-");
      const dir = join(out.path, "edge-metrics");
      const result = await runCli([
        "enroll",
        "--server",
        `https://127.0.0.1:${port}`,
        "--service",
        "edge-metrics",
        "--out",
        dir,
        "--fingerprint",
        stack.fingerprint,
        "--token",
        token,
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/not the one pinned by --fingerprint: the root's SHA-256 fingerprint is [0-9a-f]{64}, expected/);
      expect(existsSync(dir)).toBe(false);
      // One plain request for the bundle, and nothing else: no token, no CSR, no TLS handshake.
      const sent = Buffer.concat(seen).toString("latin1");
      expect(sent).toMatch(/^GET \/ca\/cert HTTP\/1\.1\r\n/);
      expect(sent).not.toContain(token);
      expect(sent).not.toMatch(/authorization|CERTIFICATE REQUEST/i);
      // The token is still unused: the real agent takes it.
      await using real = await tempDir("bootgate-enrollee-");
      const ok = await runCli([
        "enroll",
        "--server",
        stack.url,
        "--service",
        "edge-metrics",
        "--out",
        real.path,
        "--fingerprint",
        stack.fingerprint,
        "--token",
        token,
      ]);
      expect(ok.stderr).toMatch(/enrolled edge-metrics/);
      expect(ok.code).toBe(0);
    } finally {
      await new Promise((resolve) => mitm.close(resolve));
    }
  });
});
