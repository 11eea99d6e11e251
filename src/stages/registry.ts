// How stages are chosen and built. Each stage file exports its definition (defineStage);
// src/stages/all.ts lists them in boot order. Unit tests build one with buildStage and fakes.
import type { Config } from "../config/normalize.js";
import { StageError, UsageError } from "../errors.js";
import type { AnyStageDefinition, StageDefinition } from "../runner/define-stage.js";
import type { Stage } from "../runner/stage.js";

function choose(definitions: readonly AnyStageDefinition[], config: Config, only?: string): AnyStageDefinition[] {
  if (only !== undefined && !definitions.some((d) => d.name === only)) {
    throw new UsageError(`Expected \`--only\` to be one of ${definitions.map((d) => d.name).join(", ")}, got \`${only}\``);
  }
  return only !== undefined ? definitions.filter((d) => d.name === only) : definitions.filter((d) => d.enabled(config));
}

async function preflightOf<Prepared>(definition: StageDefinition<Prepared>, config: Config): Promise<Prepared> {
  try {
    return await definition.preflight(config);
  } catch (error) {
    throw new StageError(definition.name, error);
  }
}

/** Every chosen stage's preflight, all at once, before anything is written; errors name their stage. */
export async function preflightStages(definitions: readonly AnyStageDefinition[], config: Config, only?: string): Promise<void> {
  await Promise.all(choose(definitions, config, only).map((d) => preflightOf(d, config)));
}

/** The runner's stage for this config, with `prepared` (what preflight returned) handed to every attempt. */
function toStage<Prepared>(definition: StageDefinition<Prepared>, config: Config, prepared: Prepared): Stage {
  // Per-stage timeout and retries from the config's `stages:` map win over the stage's own.
  const settings = config.stages[definition.name];
  const own = typeof definition.timeoutMs === "function" ? definition.timeoutMs(config) : definition.timeoutMs;
  const timeoutMs = settings?.timeoutMs ?? own;
  const retries = settings?.retries ?? definition.retries;
  return {
    name: definition.name,
    needs: definition.needs,
    opens: definition.opens,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(retries !== undefined ? { retries } : {}),
    run: (ctx) => definition.run(ctx, prepared),
  };
}

/** One stage, preflight included, whether or not the config enables it (tests, with fakes). */
export async function buildStage<Prepared>(definition: StageDefinition<Prepared>, config: Config): Promise<Stage> {
  return toStage(definition, config, await preflightOf(definition, config));
}

/** The stages this config (or `--only`) asks for, every preflight run before any is built. */
export async function buildStages(definitions: readonly AnyStageDefinition[], config: Config, only?: string): Promise<Stage[]> {
  const chosen = choose(definitions, config, only);
  const prepared = await Promise.all(chosen.map((d) => preflightOf(d, config)));
  return chosen.map((d, i) => toStage(d, config, prepared[i]));
}
