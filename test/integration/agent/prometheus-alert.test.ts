// A real Prometheus (Debian's package) scrapes the agent over HTTPS, verifying its certificate
// against ca/ca.pem by the name `bootgate`, and evaluates the expiry alert: with short-lived
// leaves it fires while the agent is stopped (nothing renews them) and resolves once the agent
// is started again and has renewed them.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { freePort } from "../../../src/servers/free-port.js";
import { startPrometheus } from "../../../src/servers/prometheus-process.js";
import { poll } from "../../../src/util/poll.js";
import { caBundlePath } from "../../../src/volume/layout.js";
import { startVaultStack } from "../../support/vault-stack.js";

interface Alerts {
  data: { alerts: { labels: Record<string, string>; state: string }[] };
}
interface Targets {
  data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
}

const ALERT = "BootgateCertificateExpiresSoon";
const LITERAL = "BootgateCertificateExpiresSoonLiteral";

describe("bootgate agent scraped by a real Prometheus", () => {
  it("should fire the expiry alert while the agent is stopped and resolve it once the agent is back", async () => {
    const agentPort = await freePort();
    // Leaves live 60 s and fall due 10 s after issue: the alert's 30 s are reached only when nothing renews.
    await using stack = await startVaultStack({
      config: { services: [{ name: "core-data" }], pki: { validity: "60s", renewBefore: "50s" }, agent: { listen: `127.0.0.1:${agentPort}` } },
    });
    const rules = join(stack.dir, "rules.yml");
    await writeFile(
      rules,
      [
        "groups:",
        "  - name: bootgate",
        "    rules:",
        // Prometheus marks a failed target's series stale at once, so the rule as cert-manager's
        // users write it goes silent when the agent is down; the last value seen keeps it true.
        `      - alert: ${ALERT}`,
        "        expr: last_over_time(bootgate_certificate_expiration_timestamp_seconds[10m]) - time() < 30",
        `      - alert: ${LITERAL}`,
        "        expr: bootgate_certificate_expiration_timestamp_seconds - time() < 30",
        "",
      ].join("\n"),
    );
    const configFile = join(stack.dir, "prometheus.yml");
    await writeFile(
      configFile,
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms }",
        `rule_files: [${JSON.stringify(rules)}]`,
        "scrape_configs:",
        "  - job_name: bootgate-agent",
        "    scheme: https",
        `    tls_config: { ca_file: ${JSON.stringify(caBundlePath(stack.config.secretsDir))}, server_name: bootgate }`,
        `    static_configs: [{ targets: ["127.0.0.1:${agentPort}"] }]`,
        "",
      ].join("\n"),
    );
    await using prometheus = await startPrometheus({ configFile, dataDir: stack.dir, port: await freePort() });
    const firing = async () =>
      (await prometheus.api<Alerts>("/api/v1/alerts")).data.alerts.filter((a) => a.state === "firing").map((a) => `${a.labels.alertname}/${a.labels.service}`);

    let abort = new AbortController();
    let agent = await startAgent(stack.config, { signal: abort.signal, log: () => {} });
    try {
      await poll(async () => ((await prometheus.api<Targets>("/api/v1/targets")).data.activeTargets[0]?.health === "up" ? true : undefined), {
        timeoutMs: 20_000,
        intervalMs: 250,
        what: "Prometheus to scrape the agent over verified TLS",
      });
      expect(await firing()).toEqual([]);
    } finally {
      abort.abort();
      await agent.stopped;
    }

    // Stopped: the target is down, and the last expiry seen comes within 30 s.
    await poll(async () => ((await firing()).includes(`${ALERT}/core-data`) ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: `${ALERT} to fire for core-data`,
    });
    const target = (await prometheus.api<Targets>("/api/v1/targets")).data.activeTargets[0];
    expect(target?.health).toBe("down");
    expect((await firing()).filter((a) => a.startsWith(`${LITERAL}/`))).toEqual([]);

    abort = new AbortController();
    const lines: string[] = [];
    agent = await startAgent(stack.config, { signal: abort.signal, log: (l) => lines.push(l) });
    try {
      await poll(async () => ((await firing()).length === 0 ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: async () =>
          `every alert to resolve once the agent renewed the leaves; firing: ${(await firing()).join(", ")}; target: ${JSON.stringify((await prometheus.api<Targets>("/api/v1/targets")).data.activeTargets[0])}; agent: ${lines.join(" | ")}`,
      });
      expect((await prometheus.api<Targets>("/api/v1/targets")).data.activeTargets[0]?.health).toBe("up");
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 150_000);
});
