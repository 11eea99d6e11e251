// What went wrong talking to the engine, in one sentence that names the socket. Refused, reset
// and timed-out connections are worth a retry (an engine restarting); the rest are not.
import { describeCause, RequestError } from "../errors.js";
import { errorCode, TRANSIENT_CODES } from "../util/transient.js";

const HINTS: Record<string, string> = {
  ENOENT: "no socket there",
  ECONNREFUSED: "connection refused: is dockerd running?",
  EACCES: "permission denied: bootgate's user may not use the socket (root, or the socket's group)",
  ECONNRESET: "connection reset by the engine",
};

export function engineFailure(socket: string, action: string, cause: unknown): RequestError {
  const code = errorCode(cause);
  const statusCode = (cause as { statusCode?: unknown } | undefined)?.statusCode;
  const hint = code !== undefined ? (HINTS[code] ?? code) : undefined;
  const detail = hint ? `${hint} (${describeCause(cause).trim()})` : describeCause(cause).trim();
  return new RequestError(`docker engine at ${socket}`, action, `${typeof statusCode === "number" ? `HTTP ${statusCode}: ` : ""}${detail}`, {
    // docker-modem reports a dropped connection or its own timeout by message, without a code.
    transient: code !== undefined ? TRANSIENT_CODES.has(code) : /socket hang up|timeout/i.test(describeCause(cause)),
    statusCode: typeof statusCode === "number" ? statusCode : undefined,
    code,
    cause,
  });
}
