// `bootgate agent` as a part of `bootgate up --local`, started once vault-ready is open, as its
// compose service would be: its own process (detached, in the registry of parts, so `up`, its
// watchdog and the next `up` stop it like the others), with the same config `up` read (the same
// --config, working folder and environment) and the secrets folder `up` mounted.
import { spawn } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Config } from "../config/normalize.js";
import { EMBEDDED_SOURCE } from "../config/load.js";
import { TimeoutError } from "../errors.js";
import { trackDetached } from "../servers/detached-children.js";
import { stopProcessGroup } from "../servers/process-group.js";

const HERE = dirname(fileURLToPath(import.meta.url));
// Under the test runner this module is TypeScript; the agent always runs from the build (from a
// chunk in dist/bundle/ too: it is one level below dist/ like dist/local/).
const ENTRY = import.meta.url.endsWith(".ts") ? resolve(HERE, "..", "..", "dist", "cli", "entry.js") : join(HERE, "..", "cli", "entry.js");
/** What the agent says once it keeps everything and serves /metrics (src/agent/run-agent.ts). */
const READY_LINE = "keeping ";

export interface LocalAgent {
  pid: number;
  stop(): Promise<void>;
}

export function agentArgv(config: Pick<Config, "source" | "secretsDir">): string[] {
  return [ENTRY, "agent", ...(config.source === EMBEDDED_SOURCE ? [] : ["--config", config.source]), "--secrets-dir", config.secretsDir];
}

/** Starts the agent; resolves once it keeps the stack. Its log lines go to `log` as they come. */
export async function startLocalAgent(config: Config, log: (line: string) => void, timeoutMs = 30_000): Promise<LocalAgent> {
  const child = spawn(process.execPath, agentArgv(config), { detached: true, stdio: ["ignore", "ignore", "pipe"] });
  trackDetached("agent", child);
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  let buffer = "";
  let said = "";
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError("the agent to keep the stack", timeoutMs)), timeoutMs);
    child.stderr!.on("data", (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        said = (said + line + "\n").slice(-2000);
        log(line);
        if (line.includes(READY_LINE)) {
          clearTimeout(timer);
          resolveReady();
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the agent exited (${code}) before it kept the stack: ${said.trim()}`));
    });
  });
  return { pid: child.pid!, stop: () => stopProcessGroup(child, exited) };
}
