// An agent killed mid-write (kill -9, OOM; compose restarts it at once) leaves the temporaries of
// its batch beside the files it keeps: a key or a token each, which nothing else ever removes.
// They are swept at start and once more a little later: a temporary is only taken for a dead
// writer's once it is older than any batch takes to write, and an agent restarted at once finds
// its predecessor's still too young.
import type { Config } from "../config/normalize.js";
import { sweepStaleTemps } from "../fs/atomic-write.js";
import { BOOTGATE_DIR, serviceDir } from "../volume/layout.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";

/** Longer than any batch of a few files takes, fsyncs included, on a loaded machine. */
export const TEMP_MIN_AGE_MS = 10_000;
const SECOND_SWEEP_MS = TEMP_MIN_AGE_MS + 5_000;

/** Files' ages are wall-clock (their mtime), whatever clock drives the agent's timers. */
export async function sweepInterruptedWrites(config: Config, log: (line: string) => void, now = Date.now()): Promise<void> {
  for (const name of [...config.services.map((s) => s.name), BOOTGATE_DIR]) {
    try {
      const swept = await sweepStaleTemps(serviceDir(config.secretsDir, name), TEMP_MIN_AGE_MS, now);
      if (swept.length > 0) log(`${name}: removed ${swept.length} temporary file(s) an interrupted write left`);
    } catch (error) {
      log(`${name}: cannot sweep interrupted writes: ${(error as Error).message}`);
    }
  }
}

export async function startTempSweep(config: Config, ctx: { timers: KeyedTimers; clock: Clock; log: (line: string) => void }): Promise<void> {
  await sweepInterruptedWrites(config, ctx.log);
  ctx.timers.at("temp-sweep", ctx.clock.now() + SECOND_SWEEP_MS, () => void sweepInterruptedWrites(config, ctx.log));
}
