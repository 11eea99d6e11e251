// An enrolled remote service behind the gateway (real OpenBao with Vault's PKI engine, nginx, the
// agent): it serves HTTPS with the leaf `bootgate enroll` wrote and demands a client certificate
// from the enrolled ca.pem; the gateway reaches it over mutual TLS, verifying it by its service
// name, and passes the authenticated user on.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { rootFingerprint } from "../../../src/enroll/ca-bundle.js";
import { freePort } from "../../../src/servers/free-port.js";
import { runCli } from "../../support/cli.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { startTestUpstream, type UpstreamReply } from "../../support/gateway-upstream.js";
import { startVaultPkiGatewayStack } from "../../support/vault-pki-gateway-stack.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("an enrolled remote service behind the gateway's mutual-TLS upstream side", () => {
  it("should be reached by the gateway over mutual TLS with its enrolled leaf", async () => {
    const [enrollPort, edgePort] = [await freePort(), await freePort()];
    await using stack = await startVaultPkiGatewayStack({
      services: [{ name: "edge-api", remote: true }],
      routes: `\n[[routes]]\nname = "edge-api"\npath = "/api/edge"\nupstream = "https://127.0.0.1:${edgePort}"\nservice = "edge-api"\n`,
      agent: { listen: `127.0.0.1:${await freePort()}`, enroll: { listen: `127.0.0.1:${enrollPort}` } },
    });
    const abort = new AbortController();
    const agent = await startAgent(stack.config, { signal: abort.signal, log: () => {} });
    try {
      await using work = await tempDir("bootgate-enrollee-");
      const out = join(work.path, "edge-api");
      const made = await runCli(["token", "--enroll", "edge-api", "--config", stack.configFile]);
      expect(made.code).toBe(0);
      const enrolled = await runCli([
        "enroll",
        "--server",
        `https://127.0.0.1:${enrollPort}`,
        "--service",
        "edge-api",
        "--out",
        out,
        "--fingerprint",
        rootFingerprint(stack.caPem),
        "--token",
        made.stdout.trim(),
      ]);
      expect(enrolled.stderr).toMatch(/enrolled edge-api/);
      expect(enrolled.code).toBe(0);
      const read = (file: string) => readFile(join(out, file), "utf8");
      await using upstream = await startTestUpstream(
        "edge-api",
        { certPem: await read("cert.pem"), keyPem: await read("key.pem"), caPem: await read("ca.pem") },
        edgePort,
      );

      const user = await runCli(["token", "alice", "--config", stack.configFile]);
      expect(user.code).toBe(0);
      const res = await gatewayGet(stack.gatewayPort, "/api/edge/items", { caPem: stack.caPem, token: user.stdout.trim() });
      expect(res.status, res.body).toBe(200);
      const reply = JSON.parse(res.body) as UpstreamReply;
      expect(reply).toMatchObject({ upstream: "edge-api", user: "alice", clientCert: "gateway" });
      expect(upstream.hits).toBe(1);
      // Without a token the gateway does not pass the request on.
      expect((await gatewayGet(stack.gatewayPort, "/api/edge/items", { caPem: stack.caPem })).status).toBe(401);
      expect(upstream.hits).toBe(1);
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 120_000);
});
