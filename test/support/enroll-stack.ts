// A real OpenBao with Vault's PKI engine, two remote services and `bootgate agent` serving the
// enrollment API on a free port: what test/integration/enroll/ and bench/enroll.ts start.
//
//   await using stack = await startEnrollStack({ psk: true });
//   const token = await stack.token("edge-logs");
import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { startAgent, type RunningAgent } from "../../src/agent/run-agent.js";
import { rootFingerprint } from "../../src/enroll/ca-bundle.js";
import { freePort } from "../../src/servers/free-port.js";
import { caBundlePath } from "../../src/volume/layout.js";
import { runCli } from "./cli.js";
import { startVaultStack, type VaultStack } from "./vault-stack.js";

export const REMOTE_SERVICES = [
  { name: "edge-logs", remote: true, dns: ["logs.edge.internal"], ip: ["10.77.0.2"] },
  { name: "edge-metrics", remote: true },
];

export interface EnrollStack extends AsyncDisposable {
  vault: VaultStack;
  /** `https://HOST:PORT` of the enrollment listener. */
  url: string;
  port: number;
  fingerprint: string;
  bundle: string;
  pskFile?: string;
  agent: RunningAgent;
  /** Every line the agent logged. */
  lines: string[];
  /** Every body the enrollment API read. */
  bodies: string[];
  /** `bootgate token --enroll <service>`, through the CLI. */
  token(service: string, ttl?: string): Promise<string>;
  startAgent(): Promise<RunningAgent>;
  stopAgent(): Promise<void>;
}

export async function startEnrollStack(options: { psk?: boolean; host?: string; config?: Record<string, unknown> } = {}): Promise<EnrollStack> {
  const port = await freePort();
  const pskDir = options.psk ? join((await import("node:os")).tmpdir(), `bootgate-psk-${randomBytes(4).toString("hex")}`) : undefined;
  let pskFile: string | undefined;
  if (pskDir) {
    await (await import("node:fs/promises")).mkdir(pskDir, { recursive: true });
    pskFile = join(pskDir, "enroll.psk");
    await writeFile(pskFile, randomBytes(32).toString("base64url") + "\n", { mode: 0o600 });
  }
  const host = options.host ?? "127.0.0.1";
  const vault = await startVaultStack({
    config: {
      services: REMOTE_SERVICES,
      ...(options.config ?? {}),
      agent: {
        listen: `127.0.0.1:${await freePort()}`,
        enroll: { listen: `${host}:${port}`, ...(pskFile ? { psk: pskFile } : {}), perAddressPerMinute: 100_000, perServicePerMinute: 100_000 },
      },
    },
  });
  const lines: string[] = [];
  const bodies: string[] = [];
  let abort: AbortController | undefined;
  let agent: RunningAgent | undefined;
  const start = async () => {
    abort = new AbortController();
    agent = await startAgent(vault.config, { signal: abort.signal, log: (l) => lines.push(l), observeEnrollBody: (_p, b) => bodies.push(b) });
    return agent;
  };
  const stop = async () => {
    abort?.abort();
    await agent?.stopped;
    agent = undefined;
  };
  try {
    await start();
  } catch (error) {
    await vault[Symbol.asyncDispose]();
    throw error;
  }
  const bundle = await readFile(caBundlePath(vault.config.secretsDir), "utf8");
  const stack: EnrollStack = {
    vault,
    url: `https://${host}:${port}`,
    port,
    fingerprint: rootFingerprint(bundle),
    bundle,
    ...(pskFile ? { pskFile } : {}),
    get agent() {
      return agent!;
    },
    lines,
    bodies,
    async token(service, ttl) {
      const { code, stdout, stderr } = await runCli(["token", "--enroll", service, "--config", vault.config.source, ...(ttl ? ["--ttl", ttl] : [])]);
      if (code !== 0) throw new Error(`bootgate token --enroll ${service} exited ${code}: ${stderr}`);
      return stdout.trim();
    },
    startAgent: start,
    stopAgent: stop,
    async [Symbol.asyncDispose]() {
      await stop();
      await vault[Symbol.asyncDispose]();
      if (pskDir) await (await import("node:fs/promises")).rm(pskDir, { recursive: true, force: true });
    },
  };
  return stack;
}
