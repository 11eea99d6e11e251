// A real uWSGI (Debian's uwsgi-core + python3 plugin) serving a tiny WSGI app over the uwsgi
// protocol in TLS (`ssl-socket`): one socket per certificate it is given, each demanding a
// client certificate from the stack's CA (the `!` in front of the CA file). The app answers with
// what the gateway passed it and appends every request's path to hits.log.
import { spawn } from "node:child_process";
import { access, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trackDetached } from "../../src/servers/detached-children.js";
import { freePort } from "../../src/servers/free-port.js";
import { stopProcessGroup } from "../../src/servers/process-group.js";
import { poll } from "../../src/util/poll.js";

export const UWSGI_BINARY = "/usr/bin/uwsgi-core";
const PYTHON_PLUGIN = "/usr/lib/uwsgi/plugins/python3_plugin.so";

/** What the app saw, as it answers it. */
export interface WsgiReply {
  app: string;
  scriptName: string;
  pathInfo: string;
  query: string;
  user: string | null;
  authorization: string | null;
  https: string | null;
}

const APP = `import json, os

HITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hits.log")

def application(environ, start_response):
    with open(HITS, "a") as f:
        f.write(environ.get("PATH_INFO", "") + "\\n")
    body = json.dumps({
        "app": "wsgi-app",
        "scriptName": environ.get("SCRIPT_NAME", ""),
        "pathInfo": environ.get("PATH_INFO", ""),
        "query": environ.get("QUERY_STRING", ""),
        "user": environ.get("HTTP_X_AUTHENTICATED_USER"),
        "authorization": environ.get("HTTP_AUTHORIZATION"),
        "https": environ.get("HTTPS"),
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
`;

export interface UwsgiSocketTls {
  certFile: string;
  keyFile: string;
}

export interface UwsgiApp extends AsyncDisposable {
  /** One port per socket, in the order given. */
  ports: number[];
  /** Paths the app was asked for, oldest first. */
  hits(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startUwsgiApp(dir: string, caFile: string, sockets: readonly UwsgiSocketTls[]): Promise<UwsgiApp> {
  for (const file of [UWSGI_BINARY, PYTHON_PLUGIN]) {
    await access(file).catch(() => {
      throw new Error(`${file} is missing: run \`make tools\` (as root it installs Debian's uwsgi-core and uwsgi-plugin-python3)`);
    });
  }
  const appFile = join(dir, "app.py");
  await writeFile(appFile, APP);
  await writeFile(join(dir, "hits.log"), "");
  const ports = await Promise.all(sockets.map(() => freePort()));
  const args = ["--plugin", "python3", "--wsgi-file", appFile, "--need-app", "--strict", "--processes", "1", "--die-on-term", "--disable-logging"];
  sockets.forEach((s, i) => args.push("--ssl-socket", `127.0.0.1:${ports[i]},${s.certFile},${s.keyFile},HIGH,!${caFile}`));
  const child = spawn(UWSGI_BINARY, args, { detached: true, stdio: ["ignore", "ignore", "pipe"], cwd: dir });
  trackDetached("uwsgi", child);
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-8000);
  });
  const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = () => stopProcessGroup(child, exited, { signal: "SIGTERM", sweep: true });
  try {
    // uWSGI binds its sockets before it forks the worker; the worker's line means it serves.
    await poll(
      () => {
        if (gone) throw new Error(`uwsgi exited before it was ready: ${log.trim() || "(no output)"}`);
        return log.includes("spawned uWSGI worker 1") ? true : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 25, what: "uwsgi to spawn its worker" },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ports,
    hits: async () => (await readFile(join(dir, "hits.log"), "utf8")).split("\n").filter((l) => l !== ""),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
