// What went wrong talking to the engine, in one sentence that names the socket. Refused, reset
// and timed-out connections are worth a retry (an engine restarting); the rest are not.
import { describeCause } from "../errors.js";

const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAGAIN"]);

const HINTS: Record<string, string> = {
  ENOENT: "no socket there",
  ECONNREFUSED: "connection refused: is dockerd running?",
  EACCES: "permission denied: bootgate's user may not use the socket (root, or the socket's group)",
  ECONNRESET: "connection reset by the engine",
};

export class DockerEngineError extends Error {
  override name = "DockerEngineError";
  readonly transient: boolean;
  constructor(
    readonly socket: string,
    readonly action: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: unknown } | undefined)?.code;
    const statusCode = (cause as { statusCode?: unknown } | undefined)?.statusCode;
    const hint = typeof code === "string" ? (HINTS[code] ?? code) : undefined;
    const detail = hint ? `${hint} (${describeCause(cause).trim()})` : describeCause(cause).trim();
    super(`docker engine at ${socket}: ${action} failed: ${typeof statusCode === "number" ? `HTTP ${statusCode}: ` : ""}${detail}`, { cause });
    this.transient = typeof code === "string" ? TRANSIENT_CODES.has(code) : /socket hang up|timeout/i.test(describeCause(cause));
  }
}
