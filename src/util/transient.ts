// Connection-level failures that a retry may cure — nothing listening yet, a reset, a timeout, a
// name or route not there yet — the same for every server bootgate talks to (Vault, PostgreSQL,
// the Docker engine, Kong's Admin API). Each client adds its own server's signs on top.
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAGAIN",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
]);

/** The Node error code (`ECONNREFUSED`, a SQLSTATE, …) an error carries, if any. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

export function hasTransientCode(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && TRANSIENT_CODES.has(code);
}
