// The one place that turns errors into exit codes and user-facing text.
import { ConfigError, describeCause, StageError, UsageError, WaitTimeoutError } from "../errors.js";

export const EXIT = { ok: 0, stageFailed: 1, badInput: 2, waitTimeout: 124 } as const;

export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof UsageError) return EXIT.badInput;
  if (error instanceof WaitTimeoutError) return EXIT.waitTimeout;
  if (error instanceof StageError) {
    // Imported material that fails its checks is bad input, even when a stage found it.
    return error.reason instanceof ConfigError ? EXIT.badInput : EXIT.stageFailed;
  }
  return EXIT.stageFailed;
}

export function messageFor(error: unknown): string {
  if (error instanceof StageError && error.reason instanceof ConfigError) {
    return `stage ${error.stage}: ${error.reason.message}`;
  }
  return describeCause(error);
}
