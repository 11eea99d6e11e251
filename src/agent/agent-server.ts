// The agent's listener: HTTPS with bootgate's own leaf (`<secretsDir>/bootgate/cert.pem`), so a
// scraper verifies it against ca/ca.pem by the name `bootgate`. /metrics for Prometheus,
// /healthz: 200 while every leaf and token is valid and Vault is unsealed, else 503 and why.
import { readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { Registry } from "prom-client";
import { bootgateDir, servicePath } from "../volume/layout.js";
import type { AgentState } from "./agent-state.js";

export interface AgentServer {
  /** The address it listens on (port 0 in a test becomes the real one). */
  address: { host: string; port: number };
  /** Takes bootgate's leaf again after a renewal. */
  reloadCertificate(): Promise<void>;
  close(): Promise<void>;
}

async function tlsFiles(secretsDir: string): Promise<{ cert: Buffer; key: Buffer }> {
  const certPath = servicePath(secretsDir, "bootgate", "cert");
  try {
    return { cert: await readFile(certPath), key: await readFile(servicePath(secretsDir, "bootgate", "key")) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new Error(
      `the agent serves HTTPS with bootgate's own leaf, but ${bootgateDir(secretsDir)} has no readable cert.pem/key.pem (${code}): pki-init issues it`,
      {
        cause: error,
      },
    );
  }
}

export async function startAgentServer(options: {
  secretsDir: string;
  listen: { host: string; port: number };
  registry: Registry;
  state: AgentState;
  refreshVault: () => Promise<void>;
}): Promise<AgentServer> {
  const { registry, state } = options;
  const server: Server = createServer(await tlsFiles(options.secretsDir), (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const answer = async () => {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { allow: "GET, HEAD" }).end();
      } else if (path === "/metrics") {
        const body = await registry.metrics();
        res.writeHead(200, { "content-type": registry.contentType }).end(body);
      } else if (path === "/healthz") {
        await options.refreshVault();
        const problems = state.problems(Date.now());
        const body = JSON.stringify(problems.length === 0 ? { status: "ok" } : { status: "unhealthy", reasons: problems });
        res.writeHead(problems.length === 0 ? 200 : 503, { "content-type": "application/json" }).end(body + "\n");
      } else {
        res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /metrics or /healthz\n");
      }
    };
    answer().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.listen.port, options.listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  const port = typeof bound === "object" && bound ? bound.port : options.listen.port;
  return {
    address: { host: options.listen.host, port },
    reloadCertificate: async () => server.setSecureContext(await tlsFiles(options.secretsDir)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
