// What a failed Vault call means for the stage: a server not up (retry), a refusal (fail), or
// a TLS mismatch (fail at once: retrying will not change a certificate). Messages carry the
// address and the path, never a request body.
import { RequestError } from "../errors.js";
import { errorCode, hasTransientCode } from "../util/transient.js";

/** The HTTP status of a node-vault ApiResponseError, if it is one. */
export function vaultStatusCode(error: unknown): number | undefined {
  const response = (error as { response?: { statusCode?: unknown } } | null)?.response;
  return typeof response?.statusCode === "number" ? response.statusCode : undefined;
}

/** Connection-level failures (nothing listening yet, reset), and 503 while sealing or on a standby. */
export function isVaultUnavailable(error: unknown): boolean {
  return hasTransientCode(error) || vaultStatusCode(error) === 503;
}

/**
 * A Vault name that does not resolve (ENOTFOUND). In compose a service's name is in Docker's DNS
 * only while its container runs: the init container can start before Vault's, and a stopped
 * cluster node's name is gone. So while waiting for Vault to come up, and when picking a
 * cluster's node, it means "not there (yet)", like a refused connection. Elsewhere it stays
 * fatal, and a mistyped address still fails, naming this error, when the wait runs out.
 */
export function isVaultNameMissing(error: unknown): boolean {
  return errorCode(error) === "ENOTFOUND";
}

export function describeVaultError(error: unknown): string {
  const status = vaultStatusCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const code = errorCode(error);
  if (status !== undefined) return `HTTP ${status}: ${message}`;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Wraps a Vault call so failures name the address and what was attempted; unavailability is transient. */
export async function vaultCall<T>(address: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new RequestError(`Vault at ${address}`, what, describeVaultError(error), {
      transient: isVaultUnavailable(error),
      statusCode: vaultStatusCode(error),
      code: errorCode(error),
      cause: error,
    });
  }
}
