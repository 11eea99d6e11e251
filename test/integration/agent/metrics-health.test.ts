// The agent's /metrics and /healthz over HTTPS, verified against the stack's CA by the name
// `bootgate`, against a real OpenBao.
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { freePort } from "../../../src/servers/free-port.js";
import { poll } from "../../../src/util/poll.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { startVaultStack } from "../../support/vault-stack.js";

function get(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, ca, servername: "bootgate", rejectUnauthorized: true, agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const metric = (text: string, line: RegExp) => text.split("\n").find((l) => line.test(l));

describe("bootgate agent: /metrics and /healthz (real OpenBao)", () => {
  it("should serve cert-manager-style metrics over TLS verified against ca/ca.pem, and say in /healthz when Vault is gone", async () => {
    const port = await freePort();
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }], agent: { listen: `127.0.0.1:${port}` } } });
    const ca = await readFile(caBundlePath(stack.config.secretsDir));
    const abort = new AbortController();
    const agent = await startAgent(stack.config, { signal: abort.signal, log: () => {} });
    try {
      await poll(async () => ((await get(port, "/healthz", ca)).status === 200 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: "/healthz to answer 200",
      });
      expect(JSON.parse((await get(port, "/healthz", ca)).body)).toEqual({ status: "ok" });

      const { status, body } = await get(port, "/metrics", ca);
      expect(status).toBe(200);
      const expiry = metric(body, /^bootgate_certificate_expiration_timestamp_seconds\{service="core-data"\} /);
      expect(expiry).toBeDefined();
      // 90 days from now, give or take the boot.
      expect(Math.abs(Number(expiry!.split(" ")[1]) - (Date.now() / 1000 + 90 * 86_400))).toBeLessThan(600);
      expect(body).toMatch(/^bootgate_certificate_expiration_timestamp_seconds\{service="bootgate"\} /m);
      expect(body).toMatch(/^bootgate_certificate_renewal_timestamp_seconds\{service="core-data"\} /m);
      expect(body).toMatch(/^bootgate_certificate_ready_status\{service="core-data",condition="True"\} 1$/m);
      expect(body).toMatch(/^bootgate_certificate_ready_status\{service="core-data",condition="False"\} 0$/m);
      expect(body).toMatch(/^bootgate_token_expiration_timestamp_seconds\{service="core-data"\} /m);
      expect(body).toMatch(/^bootgate_renewal_failures_total\{service="core-data",kind="token"\} 0$/m);
      expect(body).toMatch(/^bootgate_vault_sealed 0$/m);
      expect(body).toMatch(/^bootgate_gate_open\{gate="pki-ready"\} 1$/m);
      expect(body).toMatch(/^bootgate_gate_open\{gate="db-ready"\} 0$/m);
      expect(body).toMatch(/^process_resident_memory_bytes /m);

      // Vault gone: the health check says so, with the reason, and the seal metric is NaN (prom-client writes `Nan`, which Prometheus reads).
      await stack.stopBao();
      await poll(async () => ((await get(port, "/healthz", ca)).status === 503 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 500,
        what: "/healthz to answer 503",
      });
      const unhealthy = JSON.parse((await get(port, "/healthz", ca)).body) as { status: string; reasons: string[] };
      expect(unhealthy.status).toBe("unhealthy");
      expect(unhealthy.reasons.join("\n")).toMatch(/vault's seal status is unknown/);
      expect((await get(port, "/metrics", ca)).body).toMatch(/^bootgate_vault_sealed Nan$/m);

      // A client that does not trust the stack's CA is refused by its own TLS check.
      await expect(get(port, "/metrics", Buffer.from(""))).rejects.toThrow();
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 120_000);
});
