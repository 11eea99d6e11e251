// The two example services `up --local` starts once their gates are open: each reads its
// certificate and token from the volume, its database credentials from Vault, connects to
// PostgreSQL with verify-full, and serves HTTPS (mutual TLS) behind the gateway.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { TimeoutError } from "../errors.js";
import { trackDetached } from "../servers/detached-children.js";
import { stopProcessGroup } from "../servers/process-group.js";

const SERVER = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "compose", "example-service", "server.mjs");

export interface ExampleService {
  name: string;
  port: number;
  /** The path prefix of its route through the gateway. */
  path: string;
}

export interface ExampleHandle {
  name: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the service and resolves once it says it listens (it does so after its DB login). */
export async function startExampleService(service: ExampleService, secretsDir: string, timeoutMs = 30_000): Promise<ExampleHandle> {
  const child: ChildProcess = spawn(process.execPath, [SERVER], {
    env: { ...process.env, SERVICE: service.name, BOOTGATE_SECRETS_DIR: secretsDir, PORT: String(service.port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  trackDetached(service.name, child);
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${service.name} to listen on ${service.port}`, timeoutMs)), timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("listening on")) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${service.name} exited (${code}) before it listened: ${out.trim().slice(-1000)}`));
    });
  });
  return { name: service.name, pid: child.pid!, stop: () => stopProcessGroup(child, exited) };
}

/** The route map for the example services, in the TOML form the gateway reads. */
export function exampleRoutesToml(services: readonly ExampleService[]): string {
  return (
    "# written by `bootgate up --local` for its example services\n" +
    services.map((s) => `[[routes]]\nname = "${s.name}"\npath = "${s.path}"\nupstream = "https://127.0.0.1:${s.port}"\nservice = "${s.name}"\n`).join("\n")
  );
}
