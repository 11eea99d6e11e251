// `bootgate up --local` stopped at random moments, and started again: SIGINT at 12 moments (BOOTGATE_INTERRUPT_ROUNDS) of a
// boot (before, during and after it), kill -9 of `up` alone at 6; each time no process of the
// stack is left and its tmpfs is unmounted, and the next `up` comes up. Then what a crash can
// leave when even the watchdog is gone, a stale postmaster.pid, and a stranger on a port.
// The moments are seeded (the seed is printed; BOOTGATE_TEST_SEED=<seed> replays a run) and
// spread uniformly over a boot's duration as measured on this machine at the start; the last few
// of each kind come just after the summary, which a slow boot would otherwise push out of reach.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSameProcess } from "../../src/servers/proc-identity.js";
import { upWatchdogLogPath } from "../../src/volume/layout.js";
import { pickPorts, startUp, type StackPorts, type UpRun } from "../support/local-stack.js";
import { seededRandom, testSeed } from "../support/seeded-random.js";
import { isMounted, leftAfter, processesIn, recordedProcesses, stillRunning } from "../support/stack-leftovers.js";
import { tempDir } from "../support/tmp-dir.js";

const seed = testSeed();
const random = seededRandom(seed);
console.log(`up-local-interrupt: seed ${seed} (BOOTGATE_TEST_SEED=${seed} replays these moments)`);

const dirHandle = await tempDir("bootgate-up-int-");
const dir = dirHandle.path;
// Like a checkout (0755), not mkdtemp's 0700: PostgreSQL's own user must pass through to its data.
chmodSync(dir, 0o711);
const stateDir = join(dir, "state");
const secretsDir = join(dir, "secrets-volume");
const asRoot = process.getuid?.() === 0;
let ports: StackPorts;
let bootMs = 0;
const runs: UpRun[] = [];

// 12 SIGINT moments per run keep CI short; each run draws new ones, and
// BOOTGATE_INTERRUPT_ROUNDS=N asks for more.
const SIGINT_ROUNDS = Number(process.env.BOOTGATE_INTERRUPT_ROUNDS ?? 12);
const KILL_ROUNDS = 6;
/** Of those, the last ones wait for the summary, then up to a second: boots here vary too much for the span alone to reach past it. */
const SIGINT_AFTER_READY = 4;
const KILL_AFTER_READY = 2;
/** Moments run to half again the measured boot, so some fall after the summary. */
const SPAN = 1.5;
/** `up` stops its parts before it exits; its watchdog may need PostgreSQL's and nginx's grace. */
const CLEAN_AFTER_SIGINT_MS = 10_000;
const CLEAN_AFTER_KILL_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function up(): UpRun {
  const run = startUp(dir, ports);
  runs.push(run);
  // An interrupted run never gets ready: that is the point, not an unhandled failure.
  run.ready.catch(() => undefined);
  return run;
}

async function stop(run: UpRun, signal: NodeJS.Signals = "SIGINT"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  run.child.kill(signal);
  const code = await run.exited;
  return { code, signal: run.child.signalCode };
}

/** Where the boot was when the signal went: no stage begun, some begun, or the summary out. */
function phaseOf(run: UpRun): "before" | "during" | "after" {
  if (run.events.some((e) => e.type === "up-ready")) return "after";
  return run.events.some((e) => typeof e.stage === "string") ? "during" : "before";
}

/** `n` moments, one uniformly drawn in each n-th of the span: uniform overall, no phase missed. */
function moments(n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.round(((i + random()) / n) * SPAN * bootMs));
}

/** `rounds` moments: all but the last `afterReady` spread over the span, those up to a second after the summary. */
function plan(rounds: number, afterReady: number): { at: number; afterReady: boolean }[] {
  return [
    ...moments(rounds - afterReady).map((at) => ({ at, afterReady: false })),
    ...Array.from({ length: afterReady }, () => ({ at: Math.round(random() * 1_000), afterReady: true })),
  ];
}

async function interruptAt(ms: number, signal: NodeJS.Signals, afterReady = false) {
  const run = up();
  if (afterReady) await run.ready;
  await Promise.race([sleep(ms), run.exited]);
  if (run.child.exitCode !== null)
    throw new Error(`up exited by itself (${run.child.exitCode}) before the ${signal} at ${ms} ms:\n${run.stderr()}\n${JSON.stringify(run.events.slice(-5))}`);
  const recorded = recordedProcesses(stateDir);
  const phase = phaseOf(run);
  const exit = await stop(run, signal);
  return { run, recorded, phase, exit };
}

/** What the watchdogs said they did: the folder is gone after the run, so a failure must carry it. */
function watchdogLog(): string {
  try {
    return readFileSync(upWatchdogLogPath(stateDir), "utf8").trim().split("\n").slice(-3).join("\n");
  } catch {
    return "(no watchdog log)";
  }
}

async function expectNothingLeft(recorded: ReturnType<typeof recordedProcesses>, ms: number, what: string) {
  const left = await leftAfter(dir, recorded, secretsDir, ms);
  expect(left, `${what}: nothing of the stack is left; the watchdog log's last lines:\n${left.length ? watchdogLog() : ""}`).toEqual([]);
}

async function comesUp(): Promise<UpRun> {
  const run = up();
  await run.ready;
  return run;
}

const upLog = (run: UpRun) => run.events.filter((e) => e.type === "up-log").map((e) => String(e.message));

beforeAll(async () => {
  ports = await pickPorts();
  // The first boot initializes Vault and PostgreSQL; the moments below interrupt reboots.
  const first = await comesUp();
  expect((await stop(first)).code).toBe(130);
  const started = Date.now();
  const second = await comesUp();
  bootMs = Date.now() - started;
  expect((await stop(second)).code).toBe(130);
  console.log(`up-local-interrupt: a reboot took ${bootMs} ms to the summary; moments span 0–${Math.round(SPAN * bootMs)} ms`);
});

afterAll(async () => {
  for (const run of runs) if (run.child.exitCode === null && run.child.signalCode === null) await stop(run);
  await leftAfter(dir, [], secretsDir, CLEAN_AFTER_KILL_MS);
  await dirHandle[Symbol.asyncDispose]();
});

describe("bootgate up --local, stopped at any moment", () => {
  it(`should leave no process and no mount after SIGINT at ${SIGINT_ROUNDS} random moments of a boot, and exit 130`, async () => {
    const rows: string[] = [];
    for (const [i, { at, afterReady }] of plan(SIGINT_ROUNDS, SIGINT_AFTER_READY).entries()) {
      const { run, recorded, phase, exit } = await interruptAt(at, "SIGINT", afterReady);
      // Only a signal that lands while node itself is still loading finds no handler: nothing has started then.
      const beforeHandlers = exit.signal === "SIGINT" && recorded.length === 0;
      expect(
        exit.code === 130 || beforeHandlers,
        `round ${i} at ${at} ms (${phase}): exit 130, got ${exit.code ?? exit.signal}:\n${run.stderr().slice(-2000)}`,
      ).toBe(true);
      await expectNothingLeft(recorded, CLEAN_AFTER_SIGINT_MS, `round ${i}, SIGINT at ${at} ms (${phase})`);
      rows.push(`${afterReady ? "summary + " : ""}${at} ms ${phase} (${recorded.length} recorded, exit ${exit.code ?? exit.signal})`);
    }
    console.log(`up-local-interrupt: SIGINT at ${rows.join(", ")}`);
    expect(isMounted(secretsDir)).toBe(false);
    const next = await comesUp();
    expect((await stop(next)).code).toBe(130);
    await expectNothingLeft([], CLEAN_AFTER_SIGINT_MS, "the up after the last SIGINT");
  });

  it("should leave no process and no mount after kill -9 of up alone at 6 random moments, and come up each next time", async () => {
    const rows: string[] = [];
    for (const [i, { at, afterReady }] of plan(KILL_ROUNDS, KILL_AFTER_READY).entries()) {
      const { recorded, phase } = await interruptAt(at, "SIGKILL", afterReady);
      // Every other round the next up starts at once, while the watchdog may still be at work: it waits for it.
      const atOnce = i % 2 === 1;
      if (!atOnce) await expectNothingLeft(recorded, CLEAN_AFTER_KILL_MS, `round ${i}, kill -9 at ${at} ms (${phase})`);
      const next = await comesUp();
      expect(stillRunning(recorded), `round ${i}: what the killed up started is gone once the next is up`).toEqual([]);
      expect((await stop(next)).code).toBe(130);
      await expectNothingLeft(recordedProcesses(stateDir), CLEAN_AFTER_SIGINT_MS, `round ${i}, the up after the kill`);
      rows.push(`${afterReady ? "summary + " : ""}${at} ms ${phase} (${recorded.length} recorded${atOnce ? ", next up at once" : ""})`);
    }
    console.log(`up-local-interrupt: kill -9 at ${rows.join(", ")}`);
  });

  it("should stop what an up killed together with its watchdog left, from its record, and come up", async () => {
    const crashed = await comesUp();
    const recorded = recordedProcesses(stateDir);
    for (const p of recorded.filter((r) => r.name === "watchdog")) process.kill(p.pid, "SIGKILL");
    crashed.child.kill("SIGKILL");
    await crashed.exited;
    expect(processesIn(dir).length, "the stack outlived its up and watchdog").toBeGreaterThan(0);

    const next = await comesUp();
    expect(upLog(next).join("\n")).toMatch(/an earlier bootgate up \(pid \d+\) ended without stopping its stack: stopped .*postgres.*openbao/);
    expect(recorded.filter((p) => p.name !== "watchdog").filter(isSameProcess)).toEqual([]);
    expect((await stop(next)).code).toBe(130);
    await expectNothingLeft([], CLEAN_AFTER_SIGINT_MS, "after the next up");
  });

  it("should stop them without a record too, by the ports they hold and PostgreSQL's postmaster.pid, and come up", async () => {
    const crashed = await comesUp();
    for (const p of recordedProcesses(stateDir).filter((r) => r.name === "watchdog")) process.kill(p.pid, "SIGKILL");
    crashed.child.kill("SIGKILL");
    await crashed.exited;
    rmSync(join(stateDir, "up-processes.json"));

    const next = await comesUp();
    const log = upLog(next).join("\n");
    expect(log).toMatch(/PostgreSQL \(pid \d+\) was still running on .*: stopped it/);
    expect(log).toMatch(new RegExp(`port ${ports.vault} \\(Vault, vault.address\\) was held by pid \\d+ \`.*bao server`));
    expect(log).toMatch(new RegExp(`port ${ports.gateway} \\(the gateway, gateway.nginx.listen\\) was held by pid \\d+ \`nginx: master`));
    expect((await stop(next)).code).toBe(130);
    await expectNothingLeft([], CLEAN_AFTER_SIGINT_MS, "after the next up");
  });

  it("should remove a postmaster.pid whose pid now names another process, which PostgreSQL would take for a running server", async () => {
    const stranger = spawnStranger(["-e", "setInterval(() => {}, 1000)"]);
    const pidFile = join(stateDir, "postgres", "data", "postmaster.pid");
    const dataDir = join(stateDir, "postgres", "data");
    // The layout PostgreSQL writes; the shared memory id names no segment.
    writeFileSync(pidFile, `${stranger.pid}\n${dataDir}\n${Math.floor(Date.now() / 1000)}\n${ports.postgres}\n\n127.0.0.1\n         0 2147483600\nready   \n`);
    try {
      const next = await comesUp();
      expect(upLog(next).join("\n")).toContain(`removed a stale ${pidFile} (its pid ${stranger.pid} is now pid ${stranger.pid} \``);
      expect(stranger.exitCode, "the stranger is left alone").toBeNull();
      expect((await stop(next)).code).toBe(130);
    } finally {
      stranger.kill("SIGKILL");
    }
  });

  it("should refuse to start while a stranger holds Vault's port, naming its pid and command, and leave it running", async () => {
    const stranger = spawnStranger(["-e", `require("node:net").createServer().listen(${ports.vault}, "127.0.0.1", () => console.log("listening"))`]);
    try {
      await new Promise<void>((resolve) => stranger.stdout!.once("data", () => resolve()));
      const run = up();
      expect(await run.exited).toBe(1);
      expect(run.stderr()).toContain(`port ${ports.vault} (Vault, vault.address) is held by pid ${stranger.pid} \`${process.execPath} -e`);
      expect(run.stderr()).toContain("which is not part of this stack: stop it, or move the port with BOOTGATE_VAULT_ADDR");
      expect(stranger.exitCode).toBeNull();
      expect(processesIn(dir)).toEqual([]);
      if (asRoot) expect(isMounted(secretsDir)).toBe(false);
    } finally {
      stranger.kill("SIGKILL");
    }
  });
});

/** A process that is not the stack's: it runs outside the test's folder and names nothing in it. */
function spawnStranger(args: string[]): ChildProcess {
  return spawn(process.execPath, args, { cwd: "/", stdio: ["ignore", "pipe", "ignore"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
}
