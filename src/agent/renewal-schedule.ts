// When the agent next acts on something that expires: pure functions, so the rules are unit
// tested without a clock. Leaves: at notAfter - renewBefore, or at 2/3 of their lifetime when no
// renewBefore is given, minus a little jitter so leaves issued together do not renew in the same
// second; one already due (the agent was down) at once. Failures: capped exponential backoff
// (at most 5 min: a long backoff outliving the fault delays the recovery it waits for).
import { backoffDelayMs, type BackoffPolicy } from "../runner/backoff.js";

export const RETRY_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 5 * 60_000 };
/** At most this share of the renewal window is given up to jitter. */
const JITTER_SHARE = 0.05;
const MAX_JITTER_MS = 60_000;

export interface Lifetime {
  notBefore: Date;
  notAfter: Date;
}

/** The time a leaf falls due (before jitter). */
export function leafDueAt(leaf: Lifetime, renewBeforeMs: number | undefined): number {
  const start = leaf.notBefore.getTime();
  const end = leaf.notAfter.getTime();
  return renewBeforeMs === undefined ? start + ((end - start) * 2) / 3 : end - renewBeforeMs;
}

/** When to renew the leaf: never before `now`, earlier by a jitter of up to 5% of its window (at most a minute). */
export function leafRenewalAt(leaf: Lifetime, renewBeforeMs: number | undefined, now: number, random: () => number = Math.random): number {
  const due = leafDueAt(leaf, renewBeforeMs);
  if (due <= now) return now;
  const jitter = Math.min(MAX_JITTER_MS, (leaf.notAfter.getTime() - due) * JITTER_SHARE, due - now) * random();
  return Math.round(due - jitter);
}

/** A periodic token: renewed when half its TTL is left, give or take 10%, so a missed try has time for more. */
export function tokenRenewalAt(ttlMs: number, now: number, random: () => number = Math.random): number {
  return Math.round(now + ttlMs * (0.45 + 0.1 * random()));
}

/** The wait before try `attempt` (1 = the first retry) after a failure. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return backoffDelayMs(attempt, RETRY_BACKOFF, random);
}
