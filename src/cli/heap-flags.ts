// V8 heap growth tuned for a short-lived CLI, set before any other module loads (entry.ts
// imports this first). Measured at 500 services (`bootgate run`, bench/sequence.ts): of a
// ~146 MB peak RSS, ~30 MB was the young generation, grown to 2 × 16 MB semi-spaces while the
// dependencies load (module objects all survive, which is V8's cue to grow it) and mostly empty
// afterwards; most of the rest was old-space head-room from V8's default growing factor (up to
// 4× the live size). With both flags below the peak is ~105 MB at the same wall time.
//
// Only these two flags: V8 reads them at each GC, so setting them after start takes effect
// (flags such as --max-semi-space-size are read once when the heap is made and would do
// nothing here). Whoever starts node with one of them keeps their value (node refuses both in
// NODE_OPTIONS, so its own arguments are the only other place they can come from).
import { setFlagsFromString } from "node:v8";

export const HEAP_FLAGS: readonly string[] = [
  // The young generation stays at its initial size: objects that survive a scavenge move to the
  // old space instead of doubling a mostly empty nursery.
  "--semi-space-growth-factor=1",
  // The old space grows by a quarter past what the last full GC kept, not by up to 4×.
  "--heap-growing-percent=25",
];

const flagName = (flag: string) => flag.replace(/^--/, "").split("=")[0]!.replace(/_/g, "-");

/** The tuning flags that node's own arguments do not already set. */
export function heapFlagsToSet(execArgv: readonly string[]): string[] {
  const given = new Set(execArgv.filter((a) => a.startsWith("--")).map(flagName));
  return HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

for (const flag of heapFlagsToSet(process.execArgv)) setFlagsFromString(flag);
