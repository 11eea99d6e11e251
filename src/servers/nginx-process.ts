// A real nginx as a local process (for `bootgate up --local` and the tests): started in the
// foreground on a config that proxy-setup generated, in its own process group so stop() takes
// the workers with it. Reloads go through SIGHUP, which nginx handles gracefully: old workers
// finish their requests while new ones take new connections.
import { spawn } from "node:child_process";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import { TimeoutError } from "../errors.js";
import { poll } from "../util/poll.js";
import { trackDetached } from "./detached-children.js";
import { signalGroup, stopProcessGroup } from "./process-group.js";

export const DEFAULT_NGINX_BINARY = "/usr/sbin/nginx";

export interface NginxStartOptions {
  /** nginx's prefix (-p): the generated config folder. */
  prefixDir: string;
  /** Defaults to `<prefixDir>/nginx.conf`. */
  configFile?: string;
  binary?: string;
  readyTimeoutMs?: number;
}

export interface NginxHandle extends AsyncDisposable {
  pid: number;
  prefixDir: string;
  configFile: string;
  reload(): void;
  stop(): Promise<void>;
}

/** The binary to use: the given one, else Debian's, with a message saying how to get it. */
export async function findNginx(binary?: string): Promise<string> {
  const candidate = binary && binary !== "nginx" ? binary : DEFAULT_NGINX_BINARY;
  try {
    await access(candidate);
    return candidate;
  } catch {
    throw new Error(
      `nginx not found at ${candidate}: run \`make tools\` (as root it installs Debian's nginx and libnginx-mod-http-js), or set gateway.nginx.binary`,
    );
  }
}

export interface NginxTestResult {
  ok: boolean;
  /** nginx's own lines (never contains key material: nginx names files, not their content). */
  output: string;
}

/** `nginx -t` on a config file, without touching a running nginx. */
export async function testNginxConfig(binary: string, prefixDir: string, configFile: string): Promise<NginxTestResult> {
  // Loaded here: `bootgate run` reaches this file through the nginx adapter and need not carry execa.
  const { execa } = await import("execa");
  const result = await execa(binary, ["-t", "-q", "-p", prefixDir, "-c", configFile], { reject: false, all: true, timeout: 30_000 });
  return { ok: result.exitCode === 0, output: (result.all ?? "").trim() };
}

export async function startNginx(options: NginxStartOptions): Promise<NginxHandle> {
  const binary = await findNginx(options.binary);
  const configFile = options.configFile ?? join(options.prefixDir, "nginx.conf");
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const child = spawn(binary, ["-p", options.prefixDir, "-c", configFile, "-g", "daemon off;"], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
  });
  trackDetached("nginx", child, { stopSignal: "SIGQUIT" });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);

  // nginx writes its pid file after it has bound its listeners: that is the ready signal.
  const pidFile = join(options.prefixDir, "nginx.pid");
  let done = false;
  void exited.then(() => (done = true));
  try {
    await poll(
      async () => {
        if (done) throw new Error(`nginx exited before it was ready: ${stderr.trim() || "(no output)"}`);
        const text = await readFile(pidFile, "utf8").catch(() => "");
        return text.trim() === String(pid) ? true : undefined;
      },
      { timeoutMs, intervalMs: 25, what: `nginx to write ${pidFile}` },
    );
  } catch (error) {
    if (error instanceof TimeoutError) signalGroup(child, "SIGKILL");
    throw error;
  }

  // SIGQUIT: graceful; workers of a master that had to be killed would linger, hence the sweep.
  const stop = () => stopProcessGroup(child, exited, { signal: "SIGQUIT", sweep: true });
  return {
    pid,
    prefixDir: options.prefixDir,
    configFile,
    reload: () => process.kill(pid, "SIGHUP"),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
