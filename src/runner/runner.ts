// The staged runner: orders stages by the gates they need and open, runs independent ones
// concurrently, retries transient failures with backoff inside each stage's time budget, and
// fails closed — a failed stage opens no gate and its dependents never start.
import { describeCause, isTransient, StageError, UsageError } from "../errors.js";
import type { Config } from "../config/normalize.js";
import { sleep } from "../util/sleep.js";
import { raceAbort, timeoutSignal } from "./abortable.js";
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF } from "./backoff.js";
import type { EventSink } from "./events.js";
import type { Stage, StageOutcome } from "./stage.js";

export interface RunnerOptions {
  stages: readonly Stage[];
  config: Config;
  bootId: string;
  openGate(gate: string, stage: string): Promise<void>;
  /** For gates no stage in this run opens (e.g. `run --only`): resolves once the gate is open. */
  awaitExternalGate?(gate: string, signal: AbortSignal): Promise<void>;
  emit: EventSink;
  defaultTimeoutMs?: number;
  defaultRetries?: number;
  backoff?: BackoffPolicy;
  signal?: AbortSignal;
}

export interface RunResult {
  ok: boolean;
  failures: StageError[];
  skipped: string[];
  opened: string[];
}

export const DEFAULT_STAGE_TIMEOUT_MS = 120_000;
export const DEFAULT_RETRIES = 3;

class Skipped extends Error {}

export function validatePlan(stages: readonly Stage[], externalAllowed: boolean): Map<string, Stage> {
  const byName = new Map<string, Stage>();
  const openers = new Map<string, Stage>();
  for (const s of stages) {
    if (byName.has(s.name)) throw new UsageError(`two stages are named \`${s.name}\``);
    byName.set(s.name, s);
    for (const g of s.opens) {
      const other = openers.get(g);
      if (other) throw new UsageError(`gate \`${g}\` is opened by both \`${other.name}\` and \`${s.name}\``);
      openers.set(g, s);
    }
  }
  for (const s of stages) {
    for (const g of s.needs) {
      if (!openers.has(g) && !externalAllowed) {
        throw new UsageError(`stage \`${s.name}\` needs gate \`${g}\`, which no stage in this run opens`);
      }
    }
  }
  // A cycle would wait forever: find it now and name it.
  const state = new Map<string, "visiting" | "done">();
  const visit = (s: Stage, trail: string[]) => {
    if (state.get(s.name) === "done") return;
    if (state.get(s.name) === "visiting") {
      throw new UsageError(`stages wait on each other in a cycle: ${[...trail, s.name].join(" → ")}`);
    }
    state.set(s.name, "visiting");
    for (const g of s.needs) {
      const opener = openers.get(g);
      if (opener) visit(opener, [...trail, s.name]);
    }
    state.set(s.name, "done");
  };
  for (const s of stages) visit(s, []);
  return openers;
}

export async function runStages(options: RunnerOptions): Promise<RunResult> {
  const { stages, emit } = options;
  const openers = validatePlan(stages, options.awaitExternalGate !== undefined);
  const started = performance.now();
  emit({ type: "run-start", bootId: options.bootId, stages: stages.map((s) => s.name) });

  const failures: StageError[] = [];
  const skipped: string[] = [];
  const opened: string[] = [];
  const outcome = new Map<string, Promise<void>>();
  const handoff = new Map<string, unknown>();

  // Every stage's outcome exists before any stage starts, whatever order they are listed in.
  const settle = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>();
  for (const s of stages) {
    const p = new Promise<void>((resolve, reject) => settle.set(s.name, { resolve, reject }));
    // Dependents observe the rejection; this keeps Node from calling it unhandled.
    p.catch(() => {});
    outcome.set(s.name, p);
  }

  const needGate = (gate: string, signal: AbortSignal): Promise<void> => {
    const opener = openers.get(gate);
    if (opener) return outcome.get(opener.name)!;
    return raceAbort(options.awaitExternalGate!(gate, signal), signal);
  };

  const runOne = async (stage: Stage): Promise<void> => {
    // Waiting for needs is not part of the stage's budget (a slow predecessor has its own),
    // except for gates from outside the run, which get the stage's timeout.
    const timeoutMs = stage.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_STAGE_TIMEOUT_MS;
    const external = stage.needs.filter((g) => !openers.has(g));
    try {
      const internal = stage.needs.filter((g) => openers.has(g));
      await Promise.all(internal.map((g) => needGate(g, new AbortController().signal)));
      if (external.length > 0) {
        const waitBudget = timeoutSignal(timeoutMs, `gates ${external.join(", ")}`, options.signal);
        try {
          await Promise.all(external.map((g) => needGate(g, waitBudget.signal)));
        } finally {
          waitBudget.clear();
        }
      }
    } catch (error) {
      if (error instanceof Skipped) {
        skipped.push(stage.name);
        emit({ type: "stage-skipped", stage: stage.name, reason: error.message });
        throw new Skipped(`${stage.name} did not run`);
      }
      const failure = new StageError(stage.name, error);
      failures.push(failure);
      emit({ type: "stage-failed", stage: stage.name, durationMs: 0, error: failure.message });
      throw new Skipped(`${stage.name} failed`);
    }

    const t0 = performance.now();
    const budget = timeoutSignal(timeoutMs, `stage ${stage.name}`, options.signal);
    const retries = stage.retries ?? options.defaultRetries ?? DEFAULT_RETRIES;
    let result: StageOutcome | void;
    try {
      for (let attempt = 1; ; attempt++) {
        emit({ type: "stage-start", stage: stage.name, attempt });
        try {
          result = await raceAbort(
            stage.run({
              config: options.config,
              bootId: options.bootId,
              signal: budget.signal,
              handoff,
              log: { info: (message) => emit({ type: "stage-log", stage: stage.name, message }) },
            }),
            budget.signal,
          );
          break;
        } catch (error) {
          if (budget.signal.aborted || !isTransient(error) || attempt > retries) throw error;
          const delayMs = backoffDelayMs(attempt, options.backoff ?? DEFAULT_BACKOFF);
          emit({ type: "stage-retry", stage: stage.name, attempt, delayMs, error: describeCause(error) });
          await sleep(delayMs, budget.signal);
        }
      }
      for (const gate of stage.opens) {
        await options.openGate(gate, stage.name);
        opened.push(gate);
        emit({ type: "gate-open", gate, stage: stage.name });
      }
    } catch (error) {
      // A timeout aborts the signal with a TimeoutError; prefer it over whatever the stage threw.
      const cause = budget.signal.aborted ? budget.signal.reason : error;
      const failure = new StageError(stage.name, cause);
      failures.push(failure);
      emit({ type: "stage-failed", stage: stage.name, durationMs: Math.round(performance.now() - t0), error: failure.message });
      throw new Skipped(`${stage.name} failed`);
    } finally {
      budget.clear();
    }
    emit({
      type: "stage-done",
      stage: stage.name,
      durationMs: Math.round(performance.now() - t0),
      opened: [...stage.opens],
      ...(result?.summary ? { summary: result.summary } : {}),
    });
  };

  await Promise.allSettled(stages.map((stage) => runOne(stage).then(settle.get(stage.name)!.resolve, settle.get(stage.name)!.reject)));
  const ok = failures.length === 0 && skipped.length === 0;
  emit({ type: "run-done", ok, durationMs: Math.round(performance.now() - started), failed: failures.map((f) => f.stage) });
  return { ok, failures, skipped, opened };
}
