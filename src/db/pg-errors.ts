// What a failed PostgreSQL call means for the stage: the server not up or going away (retry),
// a TLS or auth refusal (fail at once), or a statement error (fail, with the server's code).
// Messages name the server and what was attempted, never the SQL, and are redacted.
import { RequestError } from "../errors.js";
import { errorCode, hasTransientCode } from "../util/transient.js";
import { redact } from "./redact.js";

/** SQLSTATEs of a server shutting down, starting up, or a connection gone (class 08). */
const TRANSIENT_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
/** node-postgres reports a dropped connection with a message, not a code. */
const TRANSIENT_MESSAGES = [/Connection terminated/i, /timeout expired/i, /Client has encountered a connection error/i, /not queryable/i];

export function sqlState(error: unknown): string | undefined {
  const code = errorCode(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isPgUnavailable(error: unknown): boolean {
  if (hasTransientCode(error)) return true;
  const state = sqlState(error);
  if (state && (TRANSIENT_SQLSTATES.has(state) || state.startsWith("08"))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return TRANSIENT_MESSAGES.some((re) => re.test(message));
}

export function describePgError(error: unknown, secrets: readonly string[] = []): string {
  const e = error as { message?: unknown; code?: unknown; detail?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(error);
  const code = typeof e?.code === "string" ? e.code : undefined;
  const detail = typeof e?.detail === "string" && e.detail ? ` (${e.detail})` : "";
  return redact(`${code ? `${code}: ` : ""}${message}${detail}`, secrets);
}

/**
 * The error to throw for a failed call. The original error is not kept as `cause`: its fields
 * come from the server and are only safe after redaction.
 */
export function pgFailure(server: string, what: string, error: unknown, secrets: readonly string[] = []): RequestError {
  return new RequestError(`PostgreSQL at ${server}`, what, describePgError(error, secrets), { transient: isPgUnavailable(error), code: sqlState(error) });
}
