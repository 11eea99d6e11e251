// `kill -9` of one bootgate command (run, ca install) at a chosen moment of Vault's PKI handover,
// with OpenBao left running, as when an init container dies and is started again within the boot.
// The secrets folder is kept between commands (the same boot's tmpfs). OpenBao starts when a run
// opens pki-ready and it is not running yet, and gets SIGHUP whenever its folder changes, as
// `up --local` and `bootgate wait --reload-signal` do. Moments are measured from the first
// request a command makes under Vault's PKI mount, read live from OpenBao's audit log.
import { type ChildProcess, spawn } from "node:child_process";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { reloadOnRenewal, type ReloadWatch, sighup } from "../../src/local/reload-on-renewal.js";
import { auditLogPath } from "../../src/servers/openbao-process.js";
import { freePort } from "../../src/servers/free-port.js";
import { pathExists } from "../../src/util/path-exists.js";
import { sleep } from "../../src/util/sleep.js";
import { serviceDir } from "../../src/volume/layout.js";
import { BOOTGATE_BIN, exitOf, killGroup, type PowerStack, spawnBao } from "./power-loss.js";

const POLL_MS = 3;

export interface CutStack {
  stack: PowerStack;
  /** Requests under the PKI mount that OpenBao's audit log has seen so far, in order. */
  pkiRequests(): Promise<string[]>;
  /** bootgate with `args` (and the stack's --config, --json) to its end. */
  command(args: string[]): Promise<CommandRun>;
  /**
   * The same, SIGKILLed `afterMs` after its first request under the PKI mount (`from: "start"`:
   * after it was spawned), unless it ends first.
   */
  cut(args: string[], afterMs: number, from?: "pki" | "start"): Promise<CutRun>;
  /** What the reload watch did (OpenBao's SIGHUPs). */
  reloads(): string[];
  /** Stops OpenBao and the reload watch. */
  close(): Promise<void>;
}

export interface CommandRun {
  code: number | null;
  output: string;
  /** ms from the command's first PKI request to its exit (undefined: it made none). */
  pkiWindowMs: number | undefined;
  /** ms from its first PKI request to its last: where a cut still lands inside the handover. */
  pkiSpanMs: number | undefined;
  /** ms from its spawn to its first PKI request. */
  startToPkiMs: number | undefined;
}

export interface CutRun {
  /** The command ended by itself before the kill. */
  finished: boolean;
  /** The PKI requests it had made when the kill came, the last of them first. */
  requests: string[];
  output: string;
}

/** The request lines an OpenBao file audit device wrote after `offset`, with the new offset. */
async function auditRequests(file: string, offset: number, mount: string): Promise<{ paths: string[]; offset: number }> {
  const handle = await open(file, "r").catch(() => undefined);
  if (!handle) return { paths: [], offset };
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { paths: [], offset };
    const buffer = Buffer.alloc(size - offset);
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString("utf8");
    // Only whole lines: a line being written is read on the next poll.
    const end = text.lastIndexOf("\n") + 1;
    const paths: string[] = [];
    for (const line of text.slice(0, end).split("\n")) {
      if (!line) continue;
      const entry = JSON.parse(line) as { type?: string; request?: { path?: string; operation?: string } };
      const path = entry.request?.path ?? "";
      if (entry.type === "request" && (path.startsWith(`${mount}/`) || path === `sys/mounts/${mount}`)) paths.push(`${entry.request?.operation} ${path}`);
    }
    return { paths, offset: offset + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    await handle.close();
  }
}

export async function cutStack(stack: PowerStack): Promise<CutStack> {
  const clusterPort = await freePort();
  const auditFile = auditLogPath(stack.baoDir);
  const mount = stack.config.vault.pkiMount;
  let bao: ChildProcess | undefined;
  let watch: ReloadWatch | undefined;
  const reloads: string[] = [];

  const baoRunning = () => bao !== undefined && bao.exitCode === null && bao.signalCode === null;
  const startBaoOnPkiReady = async (command: ChildProcess, stop: () => boolean) => {
    const gate = join(stack.config.secretsDir, ".gates", "pki-ready");
    while (!stop() && command.exitCode === null && command.signalCode === null) {
      if (!baoRunning() && (await pathExists(gate))) {
        bao = await spawnBao(stack, clusterPort);
        await watch?.stop();
        watch = reloadOnRenewal({ name: "vault", dir: serviceDir(stack.config.secretsDir, stack.config.vault.service), reload: sighup(bao.pid!) }, (l) =>
          reloads.push(l),
        );
        await watch.ready;
      }
      await sleep(20);
    }
  };

  /** Spawns the command and polls the audit log; `killNow` (ms since its first PKI request, if any) decides a kill. */
  const spawnCommand = async (args: string[], killNow: (sinceFirstPkiMs: number | undefined) => boolean) => {
    let offset = (await pathExists(auditFile)) ? (await auditRequests(auditFile, 0, mount)).offset : 0;
    let out = "";
    const child = spawn(process.execPath, [BOOTGATE_BIN, ...args, "--config", stack.configFile, "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    });
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const exit = exitOf(child);
    const t0 = performance.now();
    let stopped = false;
    const launcher = args[0] === "run" ? startBaoOnPkiReady(child, () => stopped) : Promise.resolve();
    const seen: string[] = [];
    let first: number | undefined;
    let last: number | undefined;
    let killed = false;
    while (child.exitCode === null && child.signalCode === null) {
      const next = await auditRequests(auditFile, offset, mount);
      offset = next.offset;
      seen.push(...next.paths);
      if (seen.length > 0) first ??= performance.now();
      if (next.paths.length > 0) last = performance.now();
      if (killNow(first === undefined ? undefined : performance.now() - first)) {
        killGroup(child, "SIGKILL");
        killed = true;
        break;
      }
      await sleep(POLL_MS);
    }
    await exit;
    const pkiWindowMs = first === undefined ? undefined : performance.now() - first;
    const startToPkiMs = first === undefined ? undefined : first - t0;
    const pkiSpanMs = first === undefined || last === undefined ? undefined : last - first;
    stopped = true;
    await launcher;
    // What the audit log had when it ended (a kill lands between two polls).
    seen.push(...(await auditRequests(auditFile, offset, mount)).paths);
    return { code: child.exitCode, killed, seen, pkiWindowMs, pkiSpanMs, startToPkiMs, output: out };
  };

  return {
    stack,
    async pkiRequests() {
      return (await auditRequests(auditFile, 0, mount)).paths;
    },
    async command(args) {
      const run = await spawnCommand(args, () => false);
      return { code: run.code, output: run.output, pkiWindowMs: run.pkiWindowMs, pkiSpanMs: run.pkiSpanMs, startToPkiMs: run.startToPkiMs };
    },
    async cut(args, afterMs, from = "pki") {
      const t0 = performance.now();
      const run = await spawnCommand(args, (sincePki) =>
        from === "start" ? performance.now() - t0 >= afterMs : sincePki !== undefined && sincePki >= afterMs,
      );
      return { finished: !run.killed, requests: [...run.seen].reverse(), output: run.output };
    },
    reloads: () => [...reloads],
    async close() {
      await watch?.stop();
      killGroup(bao, "SIGTERM");
      if (bao) await exitOf(bao);
    },
  };
}
