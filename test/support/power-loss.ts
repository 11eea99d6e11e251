// A whole boot of the Vault side of the stack as separate processes, so a test can cut the
// power: `bootgate run` (pki-init, secretstore-setup, and db-seed with `databases`) on the built
// tree, `bao server` and PostgreSQL started the way up --local starts them — when pki-ready
// opens, after storage of an unfinished first boot is set aside and what a crashed server left
// is cleared (up --local's own clearLeftovers) — each in its own process group. kill() SIGKILLs
// all of them at once. Each boot starts on an emptied secrets folder, as a reboot empties the
// tmpfs, with the PostgreSQL admin password written there again as up --local does.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync, readdirSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { isRoot } from "../../src/fs/atomic-write.js";
import { clearLeftovers } from "../../src/local/leftovers.js";
import { writeDerivedAdminPassword } from "../../src/local/local-secrets.js";
import { liveDetached } from "../../src/servers/detached-children.js";
import { freePort } from "../../src/servers/free-port.js";
import { type PostgresHandle, startPostgres } from "../../src/servers/postgres-process.js";
import { serverUserFor } from "../../src/servers/server-user.js";
import { auditLogPath, findBaoBinary, openBaoConfig } from "../../src/servers/openbao-process.js";
import { sleep } from "../../src/util/sleep.js";
import { vaultBootConfigPath } from "../../src/vault/server-boot-config.js";
import { markVaultReadySeen, setAsideUnfinishedFirstBoot } from "../../src/vault/unfinished-first-boot.js";
import { pathExists } from "../../src/util/path-exists.js";
import { serviceDir } from "../../src/volume/layout.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BOOTGATE_BIN = join(REPO_ROOT, "bin", "bootgate.js");

export interface PowerStack {
  dir: string;
  config: Config;
  configFile: string;
  ikmFile: string;
  baoDir: string;
  /** PostgreSQL's folder (its cluster in `data/`) when the services have databases. */
  pgDir: string | undefined;
}

export interface PowerStackOptions {
  /** Each service gets a database of its own (named after it), seeded by db-seed; PostgreSQL runs too. */
  databases?: boolean;
  /** Config keys merged over the stack's (e.g. `pki` for the offline root). */
  config?: Record<string, unknown>;
}

const databaseOf = (service: string) => service.replace(/[^a-z0-9]/g, "");

export async function powerStack(dir: string, services: string[], options: PowerStackOptions = {}): Promise<PowerStack> {
  try {
    await access(join(REPO_ROOT, "dist", "cli", "entry.js"));
  } catch {
    throw new Error("dist/ is missing: run `make build` first (the boot runs `bootgate run` as its own process)");
  }
  const ikmFile = join(dir, "ikm.hex");
  await writeFile(ikmFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  const doc: Record<string, unknown> = {
    secretsDir: "./secrets",
    stateDir: "./state",
    services: [{ name: "vault" }, ...services.map((name) => ({ name }))],
    vault: { address: `https://127.0.0.1:${await freePort()}`, ikm: { file: ikmFile }, waitTimeout: "60s" },
  };
  if (options.databases) {
    // As root PostgreSQL runs as Debian's `postgres` user: its key must be that user's, and the
    // folder it lives under (mkdtemp's 0700) passable.
    const user = isRoot() ? await serverUserFor("postgres") : undefined;
    if (user) await chmod(dir, 0o711);
    doc.services = [
      { name: "vault" },
      { name: "postgres", ip: ["127.0.0.1"], ...(user ? { uid: user.uid, gid: user.gid } : {}) },
      ...services.map((name) => ({ name, database: databaseOf(name) })),
    ];
    doc.postgres = { port: await freePort(), waitTimeout: "60s", admin: { passwordFile: "./secrets/bootgate/postgres-admin.password" } };
  }
  Object.assign(doc, options.config);
  const configFile = join(dir, "bootgate.yaml");
  const text = stringify(doc);
  await writeFile(configFile, text);
  const config = parseConfigText(text, { source: configFile, baseDir: dir, env: {} });
  return { dir, config, configFile, ikmFile, baoDir: join(dir, "bao"), pgDir: options.databases ? join(dir, "pg") : undefined };
}

export interface Boot {
  /** Resolves with bootgate run's exit code (undefined when killed) once it has exited. */
  done: Promise<number | null>;
  /** Power loss: SIGKILL of every process of the boot at once. */
  kill(): Promise<void>;
  /** Stops OpenBao (SIGTERM) and PostgreSQL (fast shutdown) after a boot that completed. */
  stop(): Promise<void>;
  baoPid(): number | undefined;
  output(): string;
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));
}

/** `bao server` on the stack's storage and its listener certificate on the volume, in its own process group. */
export async function spawnBao(stack: PowerStack, clusterPort: number): Promise<ChildProcess> {
  const port = Number(new URL(stack.config.vault.address).port);
  const dataDir = join(stack.baoDir, "data");
  const auditFile = auditLogPath(stack.baoDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await mkdir(dirname(auditFile), { recursive: true, mode: 0o700 });
  const tls = join(stack.config.secretsDir, "vault");
  const configFile = join(stack.baoDir, "bao.hcl");
  await writeFile(configFile, openBaoConfig({ dataDir, auditFile, port, clusterPort, certFile: join(tls, "cert.pem"), keyFile: join(tls, "key.pem") }), {
    mode: 0o600,
  });
  const log = await open(join(stack.baoDir, "bao.log"), "a", 0o600);
  const child = spawn(findBaoBinary(), ["server", `-config=${configFile}`, `-config=${vaultBootConfigPath(stack.config)}`], {
    stdio: ["ignore", log.fd, log.fd],
    detached: true,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: stack.baoDir },
  });
  await log.close();
  return child;
}

export const killGroup = (child: ChildProcess | undefined, signal: NodeJS.Signals) => {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
};

// startPostgres spawns the postmaster (and initdb) detached and registers it before it waits for
// readiness, so a cut in the middle of its start still finds the group to kill.
const postgresGroups = () => liveDetached().filter((p) => p.name === "postgres" || p.name === "initdb");
const killPostgres = () => {
  for (const part of postgresGroups()) {
    try {
      process.kill(-part.pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
};

/**
 * A power loss takes every process at once. SIGKILL of the postmaster's group does not: each
 * backend makes itself a group leader (setsid in InitPostmasterChild), and goes only when it
 * notices its postmaster died — under load, after the next boot's start already found its shared
 * memory attached and rightly refused the data folder. Every PostgreSQL process works in its data
 * folder (the postmaster chdirs there), so those still there are killed too, until none is left
 * (a zombie holds no memory).
 */
async function killAllIn(dataDir: string): Promise<void> {
  for (;;) {
    let alive = 0;
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (readlinkSync(`/proc/${entry}/cwd`) !== dataDir) continue;
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // pid (comm) state …: comm may hold spaces and parentheses, so read after the last ')'.
        if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
        alive++;
        process.kill(Number(entry), "SIGKILL");
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    if (alive === 0) return;
    await sleep(20);
  }
}

async function startStackPostgres(stack: PowerStack, pgDir: string, say: (line: string) => void): Promise<PostgresHandle> {
  const { config } = stack;
  // What a crashed server left (a postmaster.pid naming a dead pid) is up --local's to clear, not PostgreSQL's to guess.
  await clearLeftovers({ stateDir: config.stateDir, secretsDir: config.secretsDir, postgresDataDir: join(pgDir, "data"), ports: [] }, say);
  return startPostgres({
    dir: pgDir,
    port: config.postgres.port,
    tlsDir: serviceDir(config.secretsDir, config.postgres.service),
    adminPasswordFile: config.postgres.admin.passwordFile!,
    adminUser: config.postgres.admin.user,
    readyTimeoutMs: 60_000,
  });
}

export async function startBoot(stack: PowerStack, clusterPort: number): Promise<Boot> {
  await rm(stack.config.secretsDir, { recursive: true, force: true });
  await mkdir(stack.config.secretsDir, { recursive: true });
  if (stack.pgDir) await writeDerivedAdminPassword(stack.config);
  let out = "";
  const say = (line: string) => (out += `[launcher] ${line}\n`);
  const run = spawn(process.execPath, [BOOTGATE_BIN, "run", "--config", stack.configFile, "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  run.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  run.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const runExit = exitOf(run);
  let bao: ChildProcess | undefined;
  let pg: PostgresHandle | undefined;
  let killed = false;
  const gate = (name: string) => join(stack.config.secretsDir, ".gates", name);
  // The launcher's part: OpenBao when pki-ready opens, the mark when vault-ready does.
  const launcher = (async () => {
    await setAsideUnfinishedFirstBoot(stack.baoDir, stack.config.stateDir);
    while (!killed && !(await pathExists(gate("pki-ready")))) {
      if (run.exitCode !== null) return;
      await sleep(20);
    }
    if (killed) return;
    const pgStart = stack.pgDir
      ? startStackPostgres(stack, stack.pgDir, say).then(
          (handle) => void (pg = handle),
          (error: unknown) => void (killed || say(`PostgreSQL did not start: ${(error as Error).message}`)),
        )
      : undefined;
    bao = await spawnBao(stack, clusterPort);
    while (!killed && run.exitCode === null && !(await pathExists(gate("vault-ready")))) await sleep(20);
    if (!killed && (await pathExists(gate("vault-ready")))) await markVaultReadySeen(stack.baoDir);
    await pgStart;
  })();
  return {
    done: runExit.then(async (code) => {
      await launcher;
      return code;
    }),
    async kill() {
      killed = true;
      killGroup(run, "SIGKILL");
      killGroup(bao, "SIGKILL");
      killPostgres();
      await launcher.catch(() => {});
      // A start the launcher had under way when the power went may have spawned since.
      killGroup(bao, "SIGKILL");
      killPostgres();
      await Promise.all([runExit, bao ? exitOf(bao) : undefined]);
      while (postgresGroups().length > 0) await sleep(20);
      const dataDir = stack.pgDir === undefined ? undefined : join(stack.pgDir, "data");
      if (dataDir !== undefined && existsSync(dataDir)) await killAllIn(realpathSync(dataDir));
    },
    async stop() {
      killed = true;
      await launcher.catch(() => {});
      killGroup(bao, "SIGTERM");
      await Promise.all([bao ? exitOf(bao) : undefined, pg?.stop()]);
    },
    baoPid: () => bao?.pid,
    output: () => out,
  };
}

/** The tail of OpenBao's log, for a failure message. */
export async function baoLogTail(stack: PowerStack): Promise<string> {
  return (await readFile(join(stack.baoDir, "bao.log"), "utf8").catch(() => "")).slice(-3000);
}

export { seededRandom } from "./seeded-random.js";
