// Vault down while renewals fall due, against a real OpenBao: the agent keeps retrying with capped
// backoff, /healthz says why (503, JSON), bootgate_renewal_failures_total grows; once Vault is
// back, every leaf is renewed within seconds: the agent watches Vault while a retry waits and, once it
// answers unsealed again, runs every waiting retry at once instead of waiting out its backoff step.
// The outage is 40 s, shortened from the 2 min: the backoff doubles from 1 s, so 40 s
// already reaches a 16-32 s step; 2 min would only make the step longer, not the rule different.
import { readFile } from "node:fs/promises";
import { request } from "node:https";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { RETRY_BACKOFF } from "../../../src/agent/renewal-schedule.js";
import { freePort } from "../../../src/servers/free-port.js";
import { setTimeout as sleep } from "node:timers/promises";
import { poll } from "../../../src/util/poll.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { startVaultStack } from "../../support/vault-stack.js";

const OUTAGE_MS = 40_000;

function get(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, ca, servername: "bootgate", agent: false }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const failures = (metrics: string) =>
  metrics
    .split("\n")
    .filter((l) => l.startsWith("bootgate_renewal_failures_total{") && l.includes('kind="certificate"'))
    .reduce((sum, l) => sum + Number(l.split(" ").at(-1)), 0);

describe("bootgate agent: Vault down while renewals fall due (real OpenBao)", () => {
  it("should retry with capped backoff, say why in /healthz, count the failures, and renew everything within seconds once Vault answers again, not a backoff step later", async () => {
    const port = await freePort();
    // Leaves fall due 10 s after issue: several come due during the outage.
    await using stack = await startVaultStack({
      config: {
        services: [{ name: "core-data" }, { name: "core-metadata" }],
        pki: { validity: "10m", renewBefore: "590s" },
        agent: { listen: `127.0.0.1:${port}` },
      },
    });
    const ca = await readFile(caBundlePath(stack.config.secretsDir));
    const abort = new AbortController();
    const lines: string[] = [];
    const agent = await startAgent(stack.config, { signal: abort.signal, log: (l) => lines.push(l) });
    try {
      await poll(async () => ((await get(port, "/healthz", ca)).status === 200 ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 200,
        what: "/healthz 200",
      });
      const before = failures((await get(port, "/metrics", ca)).body);

      await stack.stopBao();
      const downAt = Date.now();
      await poll(async () => ((await get(port, "/healthz", ca)).status === 503 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 250,
        what: "/healthz 503",
      });
      const health = await get(port, "/healthz", ca);
      const reasons = (JSON.parse(health.body) as { status: string; reasons: string[] }).reasons.join("\n");
      expect(reasons).toMatch(/vault's seal status is unknown: .*127\.0\.0\.1/);
      await sleep(OUTAGE_MS - (Date.now() - downAt));
      const during = failures((await get(port, "/metrics", ca)).body);
      expect(during).toBeGreaterThanOrEqual(before + 3);
      expect(lines.some((l) => /certificate of core-data: .*retrying in \d+s/.test(l))).toBe(true);

      // The retries already scheduled when Vault comes back: each is at most the cap away.
      const certificates = () => [...agent.state.items.values()].filter((i) => i.kind === "certificate");
      await stack.startBao();
      const backAt = Date.now();
      const pending = new Map(certificates().map((i) => [i.service, i.nextAt ?? backAt]));
      for (const at of pending.values()) expect(at - backAt).toBeLessThanOrEqual(RETRY_BACKOFF.capMs);
      // Vault's probe every 2 s, a 1 s spread, then one issue each: well inside one backoff step (16-32 s here).
      await poll(async () => (certificates().every((i) => (i.renewedAt ?? 0) >= backAt && i.failing === 0) ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 250,
        what: () => `every leaf renewed after Vault came back: ${JSON.stringify(certificates().map((i) => [i.service, i.renewedAt, i.lastError]))}`,
      });
      expect(lines.some((l) => /vault answers unsealed again: retrying \d+ failed renewals now/.test(l))).toBe(true);
      await poll(async () => ((await get(port, "/healthz", ca)).status === 200 ? true : undefined), {
        timeoutMs: 10_000,
        intervalMs: 250,
        what: "/healthz 200 again",
      });
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 150_000);
});
