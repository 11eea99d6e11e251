// One timer per thing the agent keeps (a leaf, a token): re-scheduling replaces it, so nothing
// polls. setTimeout holds at most ~24.8 days; a later time is reached in hops.
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class KeyedTimers {
  private readonly timers = new Map<string, unknown>();
  constructor(private readonly clock: Clock = systemClock) {}

  /** Runs `fn` at `at` (ms since the epoch), replacing what was scheduled under `key`. */
  at(key: string, at: number, fn: () => void): void {
    this.cancel(key);
    const hop = () => {
      const left = at - this.clock.now();
      if (left > MAX_TIMEOUT_MS) {
        this.timers.set(key, this.clock.setTimeout(hop, MAX_TIMEOUT_MS));
        return;
      }
      this.timers.set(
        key,
        this.clock.setTimeout(
          () => {
            this.timers.delete(key);
            fn();
          },
          Math.max(0, left),
        ),
      );
    };
    hop();
  }

  cancel(key: string): void {
    const t = this.timers.get(key);
    if (t !== undefined) this.clock.clearTimeout(t);
    this.timers.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }

  get size(): number {
    return this.timers.size;
  }
}
