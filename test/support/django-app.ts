// The checklist's Django app (examples/checklist/django) under a real uWSGI, over the uwsgi
// protocol in TLS with its own certificate, demanding the gateway's client certificate; hvac
// from .tools/python (scripts/install-python-deps.sh), Django and psycopg2 from Debian.
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { join } from "node:path";
import { trackDetached } from "../../src/servers/detached-children.js";
import { freePort } from "../../src/servers/free-port.js";
import { stopProcessGroup } from "../../src/servers/process-group.js";
import { poll } from "../../src/util/poll.js";
import { REPO_ROOT } from "./pki.js";
import { UWSGI_BINARY } from "./uwsgi-app.js";

export const PYTHON_DEPS = join(REPO_ROOT, ".tools", "python");
const APP_DIR = join(REPO_ROOT, "examples", "checklist", "django");

export interface DjangoApp {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/** Fails with how to get them when uWSGI's python3 plugin, Django, psycopg2 or hvac are missing. */
export async function checkPythonParts(): Promise<void> {
  for (const [file, how] of [
    [UWSGI_BINARY, "`make tools` (Debian's uwsgi-core)"],
    ["/usr/lib/uwsgi/plugins/python3_plugin.so", "`make tools` (Debian's uwsgi-plugin-python3)"],
    ["/usr/lib/python3/dist-packages/django/__init__.py", "`make tools` (Debian's python3-django)"],
    ["/usr/lib/python3/dist-packages/psycopg2/__init__.py", "`make tools` (Debian's python3-psycopg2)"],
    ["/usr/lib/python3/dist-packages/requests/__init__.py", "`make tools` (Debian's python3-requests)"],
    [join(PYTHON_DEPS, "hvac", "__init__.py"), "`make tools` (scripts/install-python-deps.sh: hvac from PyPI into .tools/python)"],
  ] as const) {
    await access(file).catch(() => {
      throw new Error(`${file} is missing: run ${how}`);
    });
  }
}

export async function startDjangoApp(options: { serviceDir: string; vaultAddr: string; service?: string }): Promise<DjangoApp> {
  await checkPythonParts();
  const port = await freePort();
  const child = spawn(UWSGI_BINARY, ["--ini", join(APP_DIR, "uwsgi.ini")], {
    detached: true,
    stdio: ["ignore", "ignore", "pipe"],
    // Paths and addresses only: the app gets its secrets from Vault with its certificate.
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      BOOTGATE_SERVICE: options.service ?? "web-app",
      BOOTGATE_SERVICE_DIR: options.serviceDir,
      VAULT_ADDR: options.vaultAddr,
      UWSGI_LISTEN: `127.0.0.1:${port}`,
      PYTHONPATH_EXTRA: PYTHON_DEPS,
    },
  });
  trackDetached("django-uwsgi", child);
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-16_000)));
  const exited = new Promise<unknown>((resolve) => child.once("exit", resolve));
  let gone = false;
  void exited.then(() => (gone = true));
  const stop = () => stopProcessGroup(child, exited, { signal: "SIGTERM", sweep: true });
  try {
    // need-app: uWSGI exits when the settings (Vault login, credentials) fail to load.
    await poll(
      () => {
        if (gone) throw new Error(`uwsgi (Django) exited before it was ready: ${log.trim() || "(no output)"}`);
        return log.includes("spawned uWSGI worker 1") ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 50, what: "uwsgi (Django) to spawn its worker" },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, log: () => log, stop };
}
