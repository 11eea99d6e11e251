// A real Prometheus (Debian's `prometheus` package) as a local process, for the tests that scrape
// the agent: started on a config and rule file the caller writes, on a free loopback port, its
// TSDB in a temp folder, in its own process group so stop() takes it down with what it started.
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { poll } from "../util/poll.js";
import { trackDetached } from "./detached-children.js";
import { signalGroup, stopProcessGroup } from "./process-group.js";

export const DEFAULT_PROMETHEUS_BINARY = "/usr/bin/prometheus";

export interface PrometheusHandle extends AsyncDisposable {
  pid: number;
  port: number;
  /** GET on its HTTP API (`/api/v1/alerts`…), parsed JSON. */
  api<T = unknown>(path: string): Promise<T>;
  stop(): Promise<void>;
}

export async function findPrometheus(binary = DEFAULT_PROMETHEUS_BINARY): Promise<string> {
  try {
    await access(binary);
    return binary;
  } catch {
    throw new Error(`prometheus not found at ${binary}: run \`make tools\` as root (it installs Debian's prometheus), or apt-get install prometheus`);
  }
}

function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`prometheus ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`));
        else {
          try {
            resolve(JSON.parse(body) as T);
          } catch (error) {
            reject(error as Error);
          }
        }
      });
    });
    req.on("timeout", () => req.destroy(new Error(`prometheus ${path}: no answer in time`)));
    req.on("error", reject);
    req.end();
  });
}

export async function startPrometheus(options: {
  configFile: string;
  dataDir: string;
  port: number;
  binary?: string;
  readyTimeoutMs?: number;
}): Promise<PrometheusHandle> {
  const binary = await findPrometheus(options.binary);
  const child = spawn(
    binary,
    [
      `--config.file=${options.configFile}`,
      `--storage.tsdb.path=${join(options.dataDir, "tsdb")}`,
      `--web.listen-address=127.0.0.1:${options.port}`,
      "--log.level=warn",
    ],
    { detached: true, stdio: ["ignore", "ignore", "pipe"] },
  );
  trackDetached("prometheus", child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${binary}`);
  try {
    await poll(
      async () => {
        if (done) throw new Error(`prometheus exited before it was ready: ${stderr.trim() || "(no output)"}`);
        return (await getJson<unknown>(options.port, "/-/ready").then(
          () => true,
          // /-/ready answers text, not JSON: a parse error means it answered 200.
          (error: Error) => (/JSON/.test(error.message) ? true : undefined),
        ))
          ? true
          : undefined;
      },
      { timeoutMs: options.readyTimeoutMs ?? 30_000, intervalMs: 100, what: `prometheus to answer on 127.0.0.1:${options.port}` },
    );
  } catch (error) {
    signalGroup(child, "SIGKILL");
    throw error;
  }
  const stop = () => stopProcessGroup(child, exited, { signal: "SIGTERM" });
  return { pid, port: options.port, api: (path) => getJson(options.port, path), stop, [Symbol.asyncDispose]: stop };
}
