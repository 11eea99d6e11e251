// One boot sequence for `bootgate run`, `up --local` and the tests: begin a boot (or join the
// current one), run the stages, open their gates as they finish. The runner itself knows
// nothing of gate files; this is where they meet it.
import { mkdir } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { StageError, UsageError } from "../errors.js";
import { beginBoot, openGate, readBoot } from "../gates/gate-file.js";
import { installWaiterScript } from "../gates/install-waiter.js";
import type { BackoffPolicy } from "../runner/backoff.js";
import type { EventSink } from "../runner/events.js";
import { DEFAULT_STAGE_TIMEOUT_MS, runStages, type RunResult } from "../runner/runner.js";
import type { Stage } from "../runner/stage.js";

/** The runner bounds this wait by the stage's budget (its signal); the watcher's own limit only has to be longer. */
const EXTERNAL_GATE_WAIT_MS = 24 * 3_600_000;

export type WaitForGates = (gates: readonly string[], timeoutMs: number, signal?: AbortSignal) => Promise<void>;

export interface BootOptions {
  config: Config;
  stages: readonly Stage[];
  /**
   * `begin`: a new boot id, earlier gates removed, the waiter script installed (a whole run, or
   * a lone stage that needs nothing). `join`: the current boot, once the gates its stages need
   * and do not open themselves are open (a later init container, a rerun).
   */
  boot: "begin" | "join";
  emit?: EventSink;
  /** Interrupts the run (up --local's, when a part of the stack fails to start). */
  signal?: AbortSignal;
  /** Runs after the boot has begun or been joined, before any stage starts (start what waits on gates). */
  onBoot?(bootId: string): void;
  /** Runs just before each gate is written: what must be on disk for the gate's promise (up --local's mark that Vault reached vault-ready). */
  beforeGateOpen?(gate: string): Promise<void>;
  /** Runs after each gate is written, before the stages that need it start. */
  onGateOpen?(gate: string): Promise<void>;
  /** How a joining run waits for gates from outside it; default: their files, this boot's. */
  waitForGates?: WaitForGates;
  backoff?: BackoffPolicy;
}

export interface BootRun extends RunResult {
  bootId: string;
  /** Each finished stage's time, in ms. */
  stageTimes: Record<string, number>;
}

const gateFiles =
  (secretsDir: string): WaitForGates =>
  async (gates, timeoutMs, signal) => {
    // Loaded only when a run waits: a whole run never needs the watcher.
    const { waitForGates } = await import("../gates/wait-for-gates.js");
    await waitForGates({ secretsDir, gates: [...gates], timeoutMs, ...(signal ? { signal } : {}) });
  };

async function joinBoot(options: BootOptions, wait: WaitForGates): Promise<string> {
  const { secretsDir } = options.config;
  // Split init containers start together: wait (within the stage's budget) for what they need.
  const opened = new Set(options.stages.flatMap((s) => s.opens));
  const needs = [...new Set(options.stages.flatMap((s) => s.needs))].filter((g) => !opened.has(g));
  const budgetMs = Math.max(...options.stages.map((s) => s.timeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS));
  if (needs.length > 0) await wait(needs, budgetMs, options.signal);
  const boot = await readBoot(secretsDir);
  if (!boot) throw new UsageError(`bootgate run --only ${options.stages.map((s) => s.name).join(", ")}: no boot has started in ${secretsDir}`);
  return boot.bootId;
}

/** The boot, settled: a failed stage is in the result, not thrown. */
export async function settleBoot(options: BootOptions): Promise<BootRun> {
  const { config, stages } = options;
  const { secretsDir } = config;
  await mkdir(secretsDir, { recursive: true });
  const wait = options.waitForGates ?? gateFiles(secretsDir);
  let bootId: string;
  if (options.boot === "begin") {
    bootId = (await beginBoot(secretsDir)).bootId;
    await installWaiterScript(secretsDir);
  } else {
    bootId = await joinBoot(options, wait);
  }
  options.onBoot?.(bootId);

  const stageTimes: Record<string, number> = {};
  const emit = options.emit ?? (() => {});
  const result = await runStages({
    stages,
    config,
    bootId,
    emit: (event) => {
      if (event.type === "stage-done") stageTimes[event.stage] = event.durationMs;
      emit(event);
    },
    openGate: async (gate, stage) => {
      await options.beforeGateOpen?.(gate);
      await openGate(secretsDir, gate, bootId, stage);
      await options.onGateOpen?.(gate);
    },
    ...(options.boot === "join" ? { awaitExternalGate: (gate: string, signal: AbortSignal) => wait([gate], EXTERNAL_GATE_WAIT_MS, signal) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  return { ...result, bootId, stageTimes };
}

/** The boot as the CLI runs it: the first failure is thrown (exit 1, or 2 for bad input). */
export async function runBoot(options: BootOptions): Promise<BootRun> {
  const run = await settleBoot(options);
  if (!run.ok) throw run.failures[0] ?? new StageError(run.skipped[0] ?? "run", "skipped");
  return run;
}
