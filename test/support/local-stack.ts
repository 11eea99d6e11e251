// Drives a real `bootgate up --local --json` in a folder of its own, on free ports.
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { freePort } from "../../src/servers/free-port.js";
import { BOOTGATE_BIN } from "./waiters.js";

export interface UpRun {
  child: ChildProcess;
  events: Record<string, unknown>[];
  ready: Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr(): string;
}

export interface StackPorts {
  vault: number;
  postgres: number;
  gateway: number;
  /** The first of the example services' consecutive ports. */
  examples: number;
  /** The agent's /metrics and /healthz. */
  agent: number;
}

/** Distinct ports for every part; Vault's and the example services' next ports too (OpenBao's cluster port, the second service). */
export async function pickPorts(): Promise<StackPorts> {
  for (;;) {
    const ports = {
      vault: await freePortPair(),
      postgres: await freePort(),
      gateway: await freePort(),
      examples: await freePortPair(),
      agent: await freePort(),
    };
    const all = [ports.vault, ports.vault + 1, ports.postgres, ports.gateway, ports.examples, ports.examples + 1, ports.agent];
    if (new Set(all).size === all.length) return ports;
  }
}

/** A free port whose next one is free too (the two example services). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65_000 && (await isFree(port + 1))) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

export function stackEnv(ports: StackPorts): NodeJS.ProcessEnv {
  return {
    ...process.env,
    BOOTGATE_VAULT_ADDR: `https://127.0.0.1:${ports.vault}`,
    BOOTGATE_PG_PORT: String(ports.postgres),
    BOOTGATE_GATEWAY_PORT: String(ports.gateway),
    BOOTGATE_EXAMPLE_BASE_PORT: String(ports.examples),
    BOOTGATE_AGENT_LISTEN: `127.0.0.1:${ports.agent}`,
    BOOTGATE_CONFIG: "",
    BOOTGATE_SECRETS_DIR: "",
  };
}

/** `args`: more of up's flags (`--config FILE`); `env`: more of the environment (e.g. BOOTGATE_CONFIG). */
export function startUp(cwd: string, ports: StackPorts, args: string[] = [], env: NodeJS.ProcessEnv = {}): UpRun {
  const child = spawn(process.execPath, [BOOTGATE_BIN, "up", "--local", "--json", ...args], {
    cwd,
    env: { ...stackEnv(ports), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const events: Record<string, unknown>[] = [];
  let err = "";
  let buffer = "";
  let onReady!: (e: Record<string, unknown>) => void;
  let onFail!: (e: Error) => void;
  const ready = new Promise<Record<string, unknown>>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  child.stdout!.on("data", (d: Buffer) => {
    buffer += d.toString();
    let nl;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.trim()) continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      events.push(event);
      if (event.type === "up-ready") onReady(event);
    }
  });
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      onFail(new Error(`bootgate up exited (${code}) before the stack was ready:\n${err}\n${JSON.stringify(events.slice(-10), null, 1)}`));
      resolve(code);
    }),
  );
  return { child, events, ready, exited, stderr: () => err };
}

/**
 * An HTTPS GET through the gateway, trusting only the stack's CA and checking the name `gateway`.
 * On a connection of its own (`agent: false`), as test/support/gateway-client.ts does: Node 20's
 * global agent keeps sockets alive, and a reused idle socket that a retiring nginx worker closes
 * during a reload answers "socket hang up" — the limit docs/gateway.md measures and leaves to
 * clients (retry an idempotent request). These tests claim no failure on new connections.
 */
export function gatewayGet(caPem: string, port: number, path: string, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: "gateway",
        ca: caPem,
        method: "GET",
        headers: token ? { authorization: `Bearer ${token}` } : {},
        agent: false,
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** Processes whose command line or environment mentions `marker` (a temp folder of the test). */
export function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    if (Number(pid) === process.pid) continue;
    for (const file of ["cmdline", "environ"]) {
      try {
        const text = readFileSync(`/proc/${pid}/${file}`, "utf8");
        if (text.includes(marker)) {
          found.push(`${pid}: ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 200)}`);
          break;
        }
      } catch {
        // Gone meanwhile, or not ours to read.
      }
    }
  }
  return found;
}
