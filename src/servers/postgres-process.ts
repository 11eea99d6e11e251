// A real PostgreSQL as a local process (for `bootgate up --local` and the tests): initdb once in
// a given folder, then the postmaster in the foreground, in its own process group, on 127.0.0.1.
// TLS only: `ssl = on` with the `postgres` service's certificate and key read in place from the
// secrets volume, and a pg_hba.conf that accepts nothing but `hostssl … scram-sha-256`. There is
// no Unix socket at all, so nothing can log in without TLS and a password.
//
// initdb and postgres refuse to run as root, so as root they run as the Debian `postgres` user
// (the files they own are chowned to it). The admin password reaches initdb through a pipe
// (`--pwfile=/dev/stdin`), never argv, and never a file the server user must be able to read.
import { spawn, type ChildProcess } from "node:child_process";
import { access, chown, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { TimeoutError } from "../errors.js";
import { isRoot } from "../fs/atomic-write.js";
import { serverUserFor, type ServerUser } from "./server-user.js";
import { pathExists } from "../util/path-exists.js";
import { SERVICE_FILES } from "../volume/layout.js";
import { trackDetached } from "./detached-children.js";
import { renderPgHba } from "./pg-hba.js";
import { signalGroup, stopProcessGroup } from "./process-group.js";

export interface PostgresStartOptions {
  /** The launcher's own folder: `data/` (the cluster) lives here. Created when missing. */
  dir: string;
  port: number;
  /** The folder with the server's cert.pem and key.pem (`<secretsDir>/<postgres service>`). */
  tlsDir: string;
  /** Read once, only for initdb on a fresh cluster. */
  adminPasswordFile: string;
  adminUser?: string;
  /** Where to find initdb and postgres; defaults to `pg_config --bindir`, then /usr/lib/postgresql/N/bin. */
  binDir?: string;
  readyTimeoutMs?: number;
  /**
   * Roles that must also present their certificate (CN = role, from the stack's CA: the
   * `ca.pem` in `tlsDir`, read again at each start since the CA changes with each boot).
   */
  clientCertRoles?: readonly string[];
  /** The client addresses pg_hba admits (TLS only); loopback unless told (compose: the network). */
  hbaAddresses?: readonly string[];
  /** Extra `-c name=value` settings (never secrets: they are on argv). */
  settings?: Record<string, string>;
}

export interface PostgresHandle extends AsyncDisposable {
  host: "127.0.0.1";
  port: number;
  dataDir: string;
  readonly pid: number | undefined;
  /** The server's log lines so far (its stderr), for test failure messages. */
  log(): string;
  stop(): Promise<void>;
  /** Starts the postmaster again after stop() (or stops and starts it). */
  start(): Promise<void>;
  restart(): Promise<void>;
}

// Loaded when first used: `up` imports this file at its start, where every module loaded is on
// the path to the first boot's summary (execa alone is ~125 modules), and needs it only at pki-ready.
const loadExeca = () => import("execa");

const HOW_TO_GET = "install Debian's postgresql: run `make tools` (as root it runs apt-get install postgresql)";

/** initdb and postgres: `pg_config --bindir`, else the newest /usr/lib/postgresql/N/bin. */
export async function findPostgresBinDir(binDir?: string): Promise<string> {
  const candidates: string[] = [];
  if (binDir) candidates.push(binDir);
  else {
    const { execa } = await loadExeca();
    const fromPgConfig = await execa("pg_config", ["--bindir"], { reject: false, timeout: 10_000 });
    if (fromPgConfig.exitCode === 0) candidates.push(String(fromPgConfig.stdout).trim());
    const root = "/usr/lib/postgresql";
    const versions = await readdir(root).catch(() => [] as string[]);
    for (const v of versions.filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))) candidates.push(join(root, v, "bin"));
  }
  for (const dir of candidates) {
    try {
      await access(join(dir, "initdb"));
      await access(join(dir, "postgres"));
      return dir;
    } catch {
      // next
    }
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, postgres) not found in ${candidates.join(", ") || "pg_config --bindir or /usr/lib/postgresql/*/bin"}: ${HOW_TO_GET}`,
  );
}

/** Only TLS with SCRAM from loopback; there is no socket and no other line. */
export const PG_HBA = renderPgHba();

export async function startPostgres(options: PostgresStartOptions): Promise<PostgresHandle> {
  const binDir = await findPostgresBinDir(options.binDir);
  const user = isRoot() ? await serverUserFor("postgres") : undefined;
  const dataDir = join(options.dir, "data");
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  if (user) {
    await chown(options.dir, user.uid, user.gid);
    await assertTraversable(dirname(options.dir), user);
  }
  const certFile = join(options.tlsDir, SERVICE_FILES.cert);
  const keyFile = join(options.tlsDir, SERVICE_FILES.key);
  await checkKeyFile(keyFile, user);

  const fresh = !(await pathExists(join(dataDir, "PG_VERSION")));
  if (fresh) await initCluster(binDir, dataDir, options, user);
  // Rewritten on every start: the access rules are ours, not whatever a previous run left.
  const clientCertRoles = options.clientCertRoles ?? [];
  await writeFile(join(dataDir, "pg_hba.conf"), renderPgHba(clientCertRoles, options.hbaAddresses), { mode: 0o600 });
  if (user) await chown(join(dataDir, "pg_hba.conf"), user.uid, user.gid);

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    port: String(options.port),
    unix_socket_directories: "",
    ssl: "on",
    ssl_cert_file: certFile,
    ssl_key_file: keyFile,
    ssl_min_protocol_version: "TLSv1.2",
    // Only when some role needs a certificate: with a CA file the server asks every client for one.
    ...(clientCertRoles.length > 0 ? { ssl_ca_file: join(options.tlsDir, SERVICE_FILES.ca) } : {}),
    password_encryption: "scram-sha-256",
    // A failing statement is not echoed into the server log (it may carry a SCRAM verifier).
    log_min_error_statement: "panic",
    log_statement: "none",
    ...options.settings,
  };
  const argv = ["-D", dataDir, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
  const timeoutMs = options.readyTimeoutMs ?? 30_000;

  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let logText = "";

  const launch = async () => {
    logText = "";
    const c = spawn(join(binDir, "postgres"), argv, {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      env: serverEnv(user),
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    });
    child = c;
    trackDetached("postgres", c, { stopSignal: "SIGINT", graceMs: 10_000 });
    let gone = false;
    exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
    void exited.then(() => (gone = true));
    let onReady!: () => void;
    const ready = new Promise<void>((r) => (onReady = r));
    c.stderr!.on("data", (chunk: Buffer) => {
      logText = (logText + chunk.toString()).slice(-16_000);
      if (logText.includes("ready to accept connections")) onReady();
    });
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      ready.then(() => "ready" as const),
      exited.then(() => "exited" as const),
      new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    if (outcome === "exited" || gone) throw new Error(`postgres exited before it was ready:\n${logText.trim() || "(no output)"}`);
    if (outcome === "timeout") {
      signalGroup(c, "SIGKILL");
      await exited;
      throw new TimeoutError(`postgres on 127.0.0.1:${options.port} to accept connections`, timeoutMs);
    }
  };

  const stop = async () => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    // SIGINT = fast shutdown: clients are disconnected, the cluster is left consistent.
    await stopProcessGroup(c, exited, { signal: "SIGINT", graceMs: 10_000, sweep: true });
  };

  await launch();
  return {
    host: "127.0.0.1",
    port: options.port,
    dataDir,
    get pid() {
      return child?.pid;
    },
    log: () => logText,
    stop,
    start: async () => {
      await stop();
      await launch();
    },
    restart: async () => {
      await stop();
      await launch();
    },
    [Symbol.asyncDispose]: stop,
  };
}

async function initCluster(binDir: string, dataDir: string, options: PostgresStartOptions, user: ServerUser | undefined): Promise<void> {
  let password: string;
  try {
    password = (await readFile(options.adminPasswordFile, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    throw new Error(`cannot read the PostgreSQL admin password file ${options.adminPasswordFile} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`);
  }
  if (password.length === 0) throw new Error(`the PostgreSQL admin password file ${options.adminPasswordFile} is empty`);
  // `--pwfile=/dev/stdin` re-opens fd 0, which fails (ENXIO) on the socket Node gives a child;
  // a shell pipe in between gives initdb a real pipe owned by the server user.
  const { execa } = await loadExeca();
  const initdb = execa(
    "/bin/sh",
    [
      "-c",
      'cat | "$0" "$@"',
      join(binDir, "initdb"),
      "-D",
      dataDir,
      "-U",
      options.adminUser ?? "postgres",
      "--pwfile=/dev/stdin",
      "--auth-host=scram-sha-256",
      "--auth-local=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
    ],
    {
      input: password + "\n",
      reject: false,
      all: true,
      timeout: 120_000,
      env: serverEnv(user),
      extendEnv: false,
      // Its own group, stopped like a server: on SIGTERM initdb removes the half-made cluster.
      detached: true,
      ...(user ? { uid: user.uid, gid: user.gid } : {}),
    },
  );
  trackDetached("initdb", initdb);
  const result = await initdb;
  if (result.exitCode !== 0) {
    // initdb's output names files and settings, never the password (it came on stdin).
    throw new Error(`initdb ${dataDir} failed (exit ${result.exitCode ?? result.signal ?? "?"}):\n${String(result.all ?? "").trim()}`);
  }
}

function serverEnv(user: ServerUser | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    LC_ALL: "C",
    LANG: "C",
    ...(user ? { HOME: user.home, USER: user.name } : { HOME: process.env.HOME ?? "/" }),
  };
}

/** PostgreSQL refuses a key anyone else can read; say how to fix it before it does. */
async function checkKeyFile(keyFile: string, user: ServerUser | undefined): Promise<void> {
  let info;
  try {
    info = await stat(keyFile);
  } catch {
    throw new Error(`the PostgreSQL server key ${keyFile} is missing: run pki-init first (it writes the \`postgres\` service's cert.pem and key.pem)`);
  }
  const mode = info.mode & 0o777;
  const serverUid = user?.uid ?? process.getuid?.();
  const ownedByServer = info.uid === serverUid && (mode & 0o077) === 0;
  const rootGroupRead = info.uid === 0 && user !== undefined && info.gid === user.gid && (mode & 0o037) === 0;
  if (!ownedByServer && !rootGroupRead) {
    throw new Error(
      `the PostgreSQL server key ${keyFile} has mode ${mode.toString(8)} and owner ${info.uid}:${info.gid}; PostgreSQL needs 0600 owned by ` +
        `the server user (uid ${serverUid}) or 0640 owned by root with its group (gid ${user?.gid ?? "?"}): ` +
        `give the \`postgres\` service uid/gid in the config (groupReadKey for 0640)`,
    );
  }
  if (user) await assertTraversable(dirname(keyFile), user);
}

/** The server user must be able to walk down to `dir`; mkdtemp folders (0700 root) stop it. */
async function assertTraversable(dir: string, user: ServerUser): Promise<void> {
  let current = dir;
  for (;;) {
    const info = await stat(current);
    const bits = info.uid === user.uid ? (info.mode >> 6) & 7 : info.gid === user.gid ? (info.mode >> 3) & 7 : info.mode & 7;
    if ((bits & 1) === 0) {
      throw new Error(
        `the PostgreSQL server user \`${user.name}\` (uid ${user.uid}) cannot enter ${current} (mode ${(info.mode & 0o777).toString(8)}): make it traversable (e.g. chmod 711)`,
      );
    }
    const parent = dirname(current);
    if (parent === current) return;
    current = parent;
  }
}
