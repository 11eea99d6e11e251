// A reboot of the stack (the secrets volume gone, a new CA from pki-init, OpenBao and the agent
// started again) while an enrollee runs `bootgate enroll --renew`: its mutual-TLS renewal fails
// against the new CA with a message that says how to recover, it keeps its current files, the old
// pin no longer enrolls anything, and a fresh `bootgate enroll` with a new token and the new
// fingerprint gets a leaf of the new CA.
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { rootFingerprint } from "../../../src/enroll/ca-bundle.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { poll } from "../../../src/util/poll.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { startEnrollStack } from "../../support/enroll-stack.js";
import { BOOTGATE_BIN } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const issuedBy = (certPem: string, bundlePem: string) => {
  const leaf = new X509Certificate(splitCertificates(certPem)[0]!);
  return splitCertificates(bundlePem).some((p) => {
    const ca = new X509Certificate(p);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  });
};

describe("bootgate enroll across a reboot of the stack (new CA; real OpenBao, bootgate agent)", () => {
  it("should fail the renewal clearly against the new CA and recover with a fresh enroll and a new token", async () => {
    // 60 s leaves (Vault backdates notBefore by 30 s): the first renewal falls due about 30 s after enrolling.
    await using stack = await startEnrollStack({ config: { pki: { validity: "60s" } } });
    await using work = await tempDir("bootgate-enrollee-");
    const out = join(work.path, "edge-logs");
    const tokenFile = join(work.path, "token");
    await writeFile(tokenFile, (await stack.token("edge-logs")) + "\n", { mode: 0o600 });
    const oldBundle = stack.bundle;
    const oldFingerprint = stack.fingerprint;
    const child = execa(
      process.execPath,
      [
        BOOTGATE_BIN,
        "enroll",
        "--server",
        stack.url,
        "--service",
        "edge-logs",
        "--out",
        out,
        "--fingerprint",
        oldFingerprint,
        "--token-file",
        tokenFile,
        "--renew",
      ],
      { reject: false, stdin: "ignore", env: { BOOTGATE_CONFIG: "" } },
    );
    let stderr = "";
    let newBundle = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      await poll(() => (/enrolled edge-logs/.test(stderr) ? true : undefined), { timeoutMs: 30_000, intervalMs: 100, what: "the first enrollment" });
      const enrolledPem = await readFile(join(out, "cert.pem"), "utf8");
      expect(issuedBy(enrolledPem, oldBundle)).toBe(true);

      // The reboot: the volume is a tmpfs (gone), pki-init makes a new CA, OpenBao and the agent start again.
      await stack.stopAgent();
      await rm(stack.vault.config.secretsDir, { recursive: true, force: true });
      expect((await stack.vault.runPki()).ok).toBe(true);
      await stack.vault.restartBao();
      const setup = await stack.vault.runSetup();
      expect(setup.failures.map((f) => f.message)).toEqual([]);
      await stack.startAgent();
      newBundle = await readFile(caBundlePath(stack.vault.config.secretsDir), "utf8");
      const newFingerprint = rootFingerprint(newBundle);
      expect(newFingerprint).not.toBe(oldFingerprint);

      // The renewal falls due and fails: the agent no longer verifies against the root the enrollee trusts.
      await poll(() => (/renewal of edge-logs failed/.test(stderr) ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 200,
        what: "the enrollee's renewal to fail against the new CA",
      });
      expect(stderr).toMatch(/does not verify as `bootgate` against the trusted CA.*fresh `bootgate enroll` with a new token/);
      // Its files are the ones it had: nothing of the new CA, nothing half-written.
      expect(await readFile(join(out, "cert.pem"), "utf8")).toBe(enrolledPem);
      expect(await readFile(join(out, "ca.pem"), "utf8")).toBe(splitCertificates(oldBundle).join(""));
    } finally {
      child.kill("SIGTERM");
      await child;
    }

    // The old pin enrolls nothing, even with a new token: it stops at the bundle check.
    const token = await stack.token("edge-logs");
    await using stale = await tempDir("bootgate-enrollee-");
    const refused = await runCli([
      "enroll",
      "--server",
      stack.url,
      "--service",
      "edge-logs",
      "--out",
      join(stale.path, "e"),
      "--fingerprint",
      oldFingerprint,
      "--token",
      token,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/not the one pinned by --fingerprint/);
    expect(existsSync(join(stale.path, "e"))).toBe(false);

    // A fresh enroll with the new fingerprint (the same, still unused, token) recovers the enrollee in place.
    const fresh = await runCli([
      "enroll",
      "--server",
      stack.url,
      "--service",
      "edge-logs",
      "--out",
      out,
      "--fingerprint",
      rootFingerprint(newBundle),
      "--token",
      token,
    ]);
    expect(fresh.stderr).toMatch(/enrolled edge-logs/);
    expect(fresh.code).toBe(0);
    const recovered = await readFile(join(out, "cert.pem"), "utf8");
    expect(issuedBy(recovered, newBundle)).toBe(true);
    expect(issuedBy(recovered, oldBundle)).toBe(false);
    expect(await readFile(join(out, "ca.pem"), "utf8")).toBe(splitCertificates(newBundle).join(""));
  }, 180_000);
});
