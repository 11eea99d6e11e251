// "Another host": the `bootgate enroll` CLI runs inside a network namespace the test makes (its
// own veth pair and addresses), from which the agent's enrollment port is the only thing of this
// host it can reach: not Vault, not the agent's /metrics. It enrolls once with the pinned root
// fingerprint and a one-time token (from a file), once with the PSK alone, and each leaf serves a
// TLS handshake that Node verifies against the stack's bundle by the enrolled names.
import { X509Certificate } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import { connect as netConnect } from "node:net";
import { join } from "node:path";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { describe, expect, it } from "vitest";
import { splitCertificates } from "../../../src/pki/pem.js";
import { startEnrollStack } from "../../support/enroll-stack.js";
import { makeNetns } from "../../support/netns.js";
import { BOOTGATE_BIN } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const reachableHere = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = netConnect({ host, port, timeout: 3000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
    socket.once("error", () => resolve(false));
  });

/** A TLS server on the enrolled pair, and a client that verifies it against `bundle` as `name`. */
async function handshake(dir: string, bundle: string, name: string): Promise<{ authorized: boolean; error?: string }> {
  const server = createTlsServer({ cert: await readFile(join(dir, "cert.pem")), key: await readFile(join(dir, "key.pem")) }, (s) => s.end());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    return await new Promise((resolve) => {
      const socket = tlsConnect({ host: "127.0.0.1", port, ca: bundle, servername: name }, () => {
        resolve({ authorized: socket.authorized });
        socket.destroy();
      });
      socket.once("error", (error) => resolve({ authorized: false, error: error.message }));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("bootgate enroll from another host (a network namespace; real OpenBao, bootgate agent)", () => {
  it("should enroll by fingerprint + token and by PSK from a namespace that reaches only the enrollment port", async () => {
    await using ns = await makeNetns();
    await using stack = await startEnrollStack({ host: ns.hostAddress, psk: true });
    const vaultPort = stack.vault.bao!.port;
    const metricsPort = stack.vault.config.agent.listen.port;

    // Only the enrollment port: Vault and /metrics answer here, and not from the namespace.
    expect(await reachableHere("127.0.0.1", vaultPort)).toBe(true);
    expect(await reachableHere("127.0.0.1", metricsPort)).toBe(true);
    expect(await ns.canConnect(ns.hostAddress, stack.port)).toBe(true);
    for (const [host, port] of [
      ["127.0.0.1", vaultPort],
      [ns.hostAddress, vaultPort],
      ["127.0.0.1", metricsPort],
      [ns.hostAddress, metricsPort],
    ] as const)
      expect(await ns.canConnect(host, port), `${host}:${port} from the namespace`).toBe(false);

    await using out = await tempDir("bootgate-enrollee-");
    const tokenFile = join(out.path, "token");
    const token = await stack.token("edge-logs");
    await writeFile(tokenFile, token + "\n", { mode: 0o600 });
    const logsDir = join(out.path, "edge-logs");
    const byPin = await ns.exec([
      process.execPath,
      BOOTGATE_BIN,
      "enroll",
      "--server",
      `https://${ns.hostAddress}:${stack.port}`,
      "--service",
      "edge-logs",
      "--out",
      logsDir,
      "--fingerprint",
      stack.fingerprint,
      "--token-file",
      tokenFile,
      "--name",
      "logs.edge.internal",
    ]);
    expect(byPin.stderr).toMatch(/enrolled edge-logs/);
    expect(byPin.code).toBe(0);
    expect(byPin.stdout + byPin.stderr).not.toContain(token);

    const metricsDir = join(out.path, "edge-metrics");
    const byPsk = await ns.exec([
      process.execPath,
      BOOTGATE_BIN,
      "enroll",
      "--server",
      `https://${ns.hostAddress}:${stack.port}`,
      "--service",
      "edge-metrics",
      "--out",
      metricsDir,
      "--psk-file",
      stack.pskFile!,
    ]);
    expect(byPsk.stderr).toMatch(/enrolled edge-metrics/);
    expect(byPsk.code).toBe(0);

    // Each leaf verifies against the stack's bundle by its enrolled names, and carries exactly those.
    expect(await handshake(logsDir, stack.bundle, "logs.edge.internal")).toEqual({ authorized: true });
    expect(await handshake(metricsDir, stack.bundle, "edge-metrics")).toEqual({ authorized: true });
    const names = async (dir: string) =>
      new X509Certificate(splitCertificates(await readFile(join(dir, "cert.pem"), "utf8"))[0]!).subjectAltName!.split(", ").sort();
    expect(await names(logsDir)).toEqual(["DNS:edge-logs", "DNS:logs.edge.internal"]);
    expect(await names(metricsDir)).toEqual(["DNS:edge-metrics"]);
    for (const dir of [logsDir, metricsDir]) expect((await stat(join(dir, "key.pem"))).mode & 0o777).toBe(0o600);

    // The agent saw both requests come from the namespace's address, read CSRs and never a key.
    const log = stack.lines.join("\n");
    expect(log).toMatch(new RegExp(`signed a leaf for edge-logs \\(one-time token.*for ${ns.nsAddress.replace(/\./g, "\\.")}`));
    expect(log).toMatch(new RegExp(`signed a leaf for edge-metrics \\(PSK.*for ${ns.nsAddress.replace(/\./g, "\\.")}`));
    expect(log).not.toContain(token);
    expect(stack.bodies.join("\n")).toMatch(/BEGIN CERTIFICATE REQUEST/);
    expect(stack.bodies.join("\n")).not.toMatch(/PRIVATE KEY/);
  }, 120_000);
});
