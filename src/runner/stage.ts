// What a stage is, as the runner sees it. The runner knows nothing of PKI, Vault or SQL: a
// stage names the gates it needs and opens, and does its work in run().
import type { Config } from "../config/normalize.js";

export interface StageLog {
  /** A line for people (and a JSON event for machines). Never pass a secret. */
  info(message: string): void;
}

export interface StageContext {
  config: Config;
  bootId: string;
  log: StageLog;
  /** Aborted when the stage runs out of time or the run is interrupted. */
  signal: AbortSignal;
  /**
   * In-memory hand-over between stages of one process run (e.g. the gateway's freshly issued
   * key from pki-init to gateway-cert, which must never touch the volume). Empty for `--only`.
   * A stage should `delete` what it takes, so secrets do not outlive their use.
   */
  handoff: Map<string, unknown>;
}

export interface StageOutcome {
  /** A short summary shown on the stage's progress line, e.g. "issued 20 certificates". */
  summary?: string;
}

export interface Stage {
  name: string;
  /** Gates that must be open (this boot) before the stage starts. */
  needs: readonly string[];
  /** Gates the stage opens when, and only when, it succeeds. */
  opens: readonly string[];
  /** Budget for all attempts together. */
  timeoutMs?: number;
  /** How many times a transient failure is retried. */
  retries?: number;
  run(ctx: StageContext): Promise<StageOutcome | void>;
}
