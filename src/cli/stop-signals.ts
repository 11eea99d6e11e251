// SIGINT and SIGTERM, caught for as long as a command runs: the first asks it to stop (its
// AbortSignal fires), a repeat — a second Ctrl-C — asks it to hurry. Without a handler node's
// default would end the process at once and leave its detached children running.
import { constants } from "node:os";

export type StopSignal = "SIGINT" | "SIGTERM";

export interface StopSignals {
  signal: AbortSignal;
  /** Resolves with the first signal. */
  stopping: Promise<StopSignal>;
  /** Called on each signal after the first. */
  onRepeat(handler: () => void): void;
}

export function catchStopSignals(): StopSignals {
  const abort = new AbortController();
  let repeat = () => {};
  const stopping = new Promise<StopSignal>((resolve) => {
    const on = (name: StopSignal) => () => {
      if (abort.signal.aborted) return repeat();
      abort.abort(new Error(`${name}: stopping`));
      resolve(name);
    };
    process.on("SIGINT", on("SIGINT"));
    process.on("SIGTERM", on("SIGTERM"));
  });
  return { signal: abort.signal, stopping, onRepeat: (handler) => (repeat = handler) };
}

/** The shell's code for a process ended by the signal: 130 for SIGINT, 143 for SIGTERM. */
export const exitCodeForSignal = (signal: StopSignal) => 128 + constants.signals[signal];
