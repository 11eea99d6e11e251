// How stages are listed and built. Each capability's stage file exports a StageEntry;
// src/stages/all.ts lists them in boot order. Unit tests build stages directly with fakes.
import type { Config } from "../config/normalize.js";
import { StageError, UsageError } from "../errors.js";
import type { Stage } from "../runner/stage.js";

export interface StageEntry {
  name: string;
  /** Whether this config asks for the stage at all (e.g. db-seed only when a service has a database). */
  enabled(config: Config): boolean;
  create(config: Config): Stage | Promise<Stage>;
  /**
   * Checks what the stage will read from outside (imported certificates, a route map, names
   * that become SQL identifiers) before anything is written: a ConfigError here exits 2 with
   * no boot started and no file touched.
   */
  preflight?(config: Config): Promise<void>;
}

function choose(entries: readonly StageEntry[], config: Config, only?: string): StageEntry[] {
  if (only !== undefined && !entries.some((e) => e.name === only)) {
    throw new UsageError(`Expected \`--only\` to be one of ${entries.map((e) => e.name).join(", ")}, got \`${only}\``);
  }
  return only !== undefined ? entries.filter((e) => e.name === only) : entries.filter((e) => e.enabled(config));
}

/** Every chosen stage's preflight, all at once, before anything is written; errors name their stage. */
export async function preflightStages(entries: readonly StageEntry[], config: Config, only?: string): Promise<void> {
  await runPreflights(choose(entries, config, only), config);
}

async function runPreflights(chosen: readonly StageEntry[], config: Config): Promise<void> {
  await Promise.all(
    chosen.map(async (e) => {
      try {
        await e.preflight?.(config);
      } catch (error) {
        throw new StageError(e.name, error);
      }
    }),
  );
}

export async function buildStages(entries: readonly StageEntry[], config: Config, only?: string): Promise<Stage[]> {
  const chosen = choose(entries, config, only);
  await runPreflights(chosen, config);
  const stages = await Promise.all(chosen.map((e) => e.create(config)));
  // Per-stage timeout and retries from the config's `stages:` map win over each stage's own.
  return stages.map((s) => {
    const settings = config.stages[s.name];
    if (!settings) return s;
    return Object.assign(Object.create(Object.getPrototypeOf(s) as object) as Stage, s, {
      ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
      ...(settings.retries !== undefined ? { retries: settings.retries } : {}),
    });
  });
}
