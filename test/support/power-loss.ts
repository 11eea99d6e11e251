// A whole boot of the Vault side of the stack as separate processes, so a test can cut the
// power: `bootgate run` (pki-init, secretstore-setup) on the built tree, and `bao server`
// started the way up --local starts it — when pki-ready opens, after storage of an unfinished
// first boot is set aside — in its own process group. kill() SIGKILLs all of them at once.
// Each boot starts on an emptied secrets folder, as a reboot empties the tmpfs.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdir, open, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { freePort } from "../../src/servers/free-port.js";
import { auditLogPath, findBaoBinary, openBaoConfig } from "../../src/servers/openbao-process.js";
import { sleep } from "../../src/util/sleep.js";
import { vaultBootConfigPath } from "../../src/vault/server-boot-config.js";
import { markVaultReadySeen, setAsideUnfinishedFirstBoot } from "../../src/vault/unfinished-first-boot.js";
import { pathExists } from "../../src/util/path-exists.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BOOTGATE_BIN = join(REPO_ROOT, "bin", "bootgate.js");

export interface PowerStack {
  dir: string;
  config: Config;
  configFile: string;
  ikmFile: string;
  baoDir: string;
}

export async function powerStack(dir: string, services: string[]): Promise<PowerStack> {
  try {
    await access(join(REPO_ROOT, "dist", "cli", "entry.js"));
  } catch {
    throw new Error("dist/ is missing: run `make build` first (the boot runs `bootgate run` as its own process)");
  }
  const ikmFile = join(dir, "ikm.hex");
  await writeFile(ikmFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  const doc = {
    secretsDir: "./secrets",
    stateDir: "./state",
    services: [{ name: "vault" }, ...services.map((name) => ({ name }))],
    vault: { address: `https://127.0.0.1:${await freePort()}`, ikm: { file: ikmFile }, waitTimeout: "60s" },
  };
  const configFile = join(dir, "bootgate.yaml");
  const text = stringify(doc);
  await writeFile(configFile, text);
  const config = parseConfigText(text, { source: configFile, baseDir: dir, env: {} });
  return { dir, config, configFile, ikmFile, baoDir: join(dir, "bao") };
}

export interface Boot {
  /** Resolves with bootgate run's exit code (undefined when killed) once it has exited. */
  done: Promise<number | null>;
  /** Power loss: SIGKILL of every process of the boot at once. */
  kill(): Promise<void>;
  /** Stops OpenBao (SIGTERM) after a boot that completed. */
  stop(): Promise<void>;
  baoPid(): number | undefined;
  output(): string;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(child.exitCode) : child.once("exit", (code) => r(code))));
}

async function spawnBao(stack: PowerStack, clusterPort: number): Promise<ChildProcess> {
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

const killGroup = (child: ChildProcess | undefined, signal: NodeJS.Signals) => {
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
};

export async function startBoot(stack: PowerStack, clusterPort: number): Promise<Boot> {
  await rm(stack.config.secretsDir, { recursive: true, force: true });
  await mkdir(stack.config.secretsDir, { recursive: true });
  let out = "";
  const run = spawn(process.execPath, [BOOTGATE_BIN, "run", "--config", stack.configFile, "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  run.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  run.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  const runExit = exitOf(run);
  let bao: ChildProcess | undefined;
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
    bao = await spawnBao(stack, clusterPort);
    while (!killed && run.exitCode === null && !(await pathExists(gate("vault-ready")))) await sleep(20);
    if (!killed && (await pathExists(gate("vault-ready")))) await markVaultReadySeen(stack.baoDir);
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
      await launcher.catch(() => {});
      killGroup(bao, "SIGKILL");
      await Promise.all([runExit, bao ? exitOf(bao) : undefined]);
    },
    async stop() {
      killed = true;
      await launcher.catch(() => {});
      killGroup(bao, "SIGTERM");
      if (bao) await exitOf(bao);
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
