// A fixed budget of requests per key (a source address, a service) per window, refilled
// continuously (a token bucket): a burst up to the budget, then one request per window/budget.
// Keys idle long enough to be full again are dropped, so memory stays bounded by the active keys.
export interface RateLimiter {
  /** Takes one request from `key`'s budget; false when it is spent. */
  take(key: string, nowMs: number): boolean;
  readonly size: number;
}

export function rateLimiter(budget: number, windowMs: number): RateLimiter {
  const perMs = budget / windowMs;
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sweptAt = 0;
  return {
    take(key, nowMs) {
      if (nowMs - sweptAt > windowMs) {
        for (const [k, b] of buckets) if (b.tokens + (nowMs - b.at) * perMs >= budget) buckets.delete(k);
        sweptAt = nowMs;
      }
      const bucket = buckets.get(key) ?? { tokens: budget, at: nowMs };
      bucket.tokens = Math.min(budget, bucket.tokens + Math.max(0, nowMs - bucket.at) * perMs);
      bucket.at = nowMs;
      buckets.set(key, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
    get size() {
      return buckets.size;
    },
  };
}
