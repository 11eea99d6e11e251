// Every error a user can see is one of these types; src/cli/exit-code.ts is the only place
// that turns them into exit codes. Messages say what was expected and what came.

/** One problem in a config file: where (dotted path) and what was expected. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Bad config or bad imported material: exit 2, nothing written. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
    options?: { cause?: unknown },
  ) {
    super(
      `${file}: ${issues.length === 1 ? "1 problem" : `${issues.length} problems`}\n` + issues.map((i) => `  - ${i.path || "(root)"}: ${i.message}`).join("\n"),
      options,
    );
  }
}

/** Bad command line: exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A stage failed: exit 1, the message names the stage and keeps the cause. */
export class StageError extends Error {
  override name = "StageError";
  constructor(
    readonly stage: string,
    readonly reason: unknown,
  ) {
    super(`stage ${stage} failed: ${describeCause(reason)}`, { cause: reason });
  }
}

/** A stage's own step timed out or the whole stage ran past its budget. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${formatMs(timeoutMs)} waiting for ${what}`);
  }
}

/** `bootgate wait` ran out of time: exit 124, the message lists the missing gates. */
export class WaitTimeoutError extends Error {
  override name = "WaitTimeoutError";
  constructor(
    readonly missing: string[],
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${formatMs(timeoutMs)}; gates still missing: ${missing.join(", ")}`);
  }
}

/**
 * Marks a failure worth retrying (a server not up yet, a connection reset). The runner retries
 * these with backoff; anything else fails the stage at once.
 */
export class TransientError extends Error {
  override name = "TransientError";
  readonly transient = true;
}

/**
 * A call to a server failed (Vault, PostgreSQL, the Docker engine, Kong's Admin API): names the
 * server and what was attempted, keeps what the server said. `transient` when a retry may cure
 * it (see src/util/transient.ts); the runner retries those.
 */
export class RequestError extends Error {
  override name = "RequestError";
  readonly transient: boolean;
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  constructor(
    /** `Vault at https://vault:8200`, `PostgreSQL at db:5432`, `docker engine at /var/run/docker.sock`. */
    readonly server: string,
    readonly what: string,
    detail: string,
    options: { transient?: boolean; statusCode?: number | undefined; code?: string | undefined; cause?: unknown } = {},
  ) {
    super(`${server}: ${what} failed: ${detail}`, "cause" in options ? { cause: options.cause } : undefined);
    this.transient = options.transient ?? false;
    this.statusCode = options.statusCode;
    this.code = options.code;
  }
}

export function isTransient(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { transient?: unknown }).transient === true;
}

export function describeCause(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
