// The one wait loop: every "until it answers" in bootgate polls through here, so each wait has a
// timeout, gives way to its signal, and says what it waited for when it runs out.
import { TimeoutError } from "../errors.js";
import { sleep } from "./sleep.js";

export interface PollOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal | undefined;
  /** What is awaited, for the TimeoutError: `nginx to write …/nginx.pid`; a function when it tells what was last seen. */
  what: string | (() => string | Promise<string>);
}

/**
 * Calls `attempt` until it returns something other than undefined, `intervalMs` apart; one last
 * attempt falls on the deadline. What `attempt` throws ends the wait at once (a refusal that
 * waiting will not fix), and so does the signal, with its reason.
 */
export async function poll<T>(attempt: () => T | undefined | Promise<T | undefined>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const result = await attempt();
    if (result !== undefined) return result;
    const left = deadline - Date.now();
    if (left <= 0) throw new TimeoutError(typeof options.what === "string" ? options.what : await options.what(), options.timeoutMs);
    await sleep(Math.min(options.intervalMs, left), options.signal);
  }
}

/** Whether `done` came true within `timeoutMs`, looked at every `intervalMs`: for waits whose running out is an answer, not an error. */
export async function becomesTrue(done: () => boolean, options: { timeoutMs: number; intervalMs: number; signal?: AbortSignal }): Promise<boolean> {
  try {
    return await poll(() => (done() ? true : undefined), { ...options, what: "a condition" });
  } catch (error) {
    if (error instanceof TimeoutError) return false;
    throw error;
  }
}
