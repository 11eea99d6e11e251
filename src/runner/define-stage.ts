// How a stage file declares its stage. The runner runs plain `Stage`s; src/stages/registry.ts
// turns a definition into one for a given config, so a stage's work sees the config only
// through ctx, and what its preflight loaded reaches run() without being loaded again.
import type { Config } from "../config/normalize.js";
import type { StageContext, StageOutcome } from "./stage.js";

export interface StageDefinition<Prepared = void> {
  name: string;
  /** Gates that must be open (this boot) before the stage starts. */
  needs: readonly string[];
  /** Gates the stage opens when, and only when, it succeeds. */
  opens: readonly string[];
  /** Whether this config asks for the stage at all (e.g. db-seed only when a service has a database). */
  enabled(config: Config): boolean;
  /**
   * Checks and loads what the stage reads from outside (imported certificates, a route map,
   * names that become SQL identifiers) before anything is written: a ConfigError here exits 2
   * with no boot started and no file touched. What it returns is handed to run().
   */
  preflight(config: Config): Promise<Prepared>;
  run(ctx: StageContext, prepared: Prepared): Promise<StageOutcome | void>;
  /** Budget for all attempts together; the config's `stages.<name>.timeout` wins over it. */
  timeoutMs?: number | ((config: Config) => number);
  /** How many times a transient failure is retried; `stages.<name>.retries` wins over it. */
  retries?: number;
}

/** A stage of any prepared type, as the list of every stage holds them. */
export type AnyStageDefinition = StageDefinition<unknown>;

/** Identity at run time; it exists so each stage file infers `Prepared` from its preflight. */
export function defineStage<Prepared = void>(definition: StageDefinition<Prepared>): StageDefinition<Prepared> {
  return definition;
}
