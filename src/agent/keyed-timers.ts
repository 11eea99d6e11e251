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
  /** The retries after a failure, so a recovery of what failed can run them early. */
  private readonly retries = new Map<string, { fn: () => void; onMoved: ((at: number) => void) | undefined }>();
  constructor(private readonly clock: Clock = systemClock) {}

  /** Runs `fn` at `at` (ms since the epoch), replacing what was scheduled under `key`. */
  at(key: string, at: number, fn: () => void): void {
    this.schedule(key, at, fn);
  }

  /**
   * As `at`, for a retry after a failure: `hurryRetries` may run it sooner, and then tells `onMoved`
   * the new time (so what the agent reports as the next try is not the old backoff's).
   */
  retry(key: string, at: number, fn: () => void, onMoved?: (at: number) => void): void {
    this.schedule(key, at, fn);
    this.retries.set(key, { fn, onMoved });
  }

  /** How many retries are waiting. */
  get retrying(): number {
    return this.retries.size;
  }

  /**
   * Runs every waiting retry within `spreadMs` from now (spread so that a Vault that just came back
   * is not asked for every leaf in the same millisecond). Returns how many were moved.
   */
  hurryRetries(spreadMs: number, random: () => number = Math.random): number {
    const now = this.clock.now();
    const due = [...this.retries];
    for (const [key, { fn, onMoved }] of due) {
      const at = now + Math.floor(random() * spreadMs);
      this.retry(key, at, fn, onMoved);
      onMoved?.(at);
    }
    return due.length;
  }

  private schedule(key: string, at: number, fn: () => void): void {
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
            this.retries.delete(key);
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
    this.retries.delete(key);
  }

  cancelAll(): void {
    for (const key of [...this.timers.keys()]) this.cancel(key);
  }

  has(key: string): boolean {
    return this.timers.has(key);
  }

  get size(): number {
    return this.timers.size;
  }
}
