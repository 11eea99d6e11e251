// What a failed Vault call means for the stage: a server not up (retry), a refusal (fail), or
// a TLS mismatch (fail at once: retrying will not change a certificate). Messages carry the
// address and the path, never a request body.
import { TransientError } from "../errors.js";

const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The HTTP status of a node-vault ApiResponseError, if it is one. */
export function vaultStatusCode(error: unknown): number | undefined {
  const response = (error as { response?: { statusCode?: unknown } } | null)?.response;
  return typeof response?.statusCode === "number" ? response.statusCode : undefined;
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Connection-level failures (nothing listening yet, reset, 503 while sealing/standby). */
export function isVaultUnavailable(error: unknown): boolean {
  const code = errorCode(error);
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return vaultStatusCode(error) === 503;
}

export class VaultRequestError extends Error {
  override name = "VaultRequestError";
  constructor(
    readonly address: string,
    readonly what: string,
    readonly statusCode: number | undefined,
    cause: unknown,
  ) {
    super(`Vault at ${address}: ${what} failed: ${describeVaultError(cause)}`, { cause });
  }
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
    if (isVaultUnavailable(error)) {
      throw new TransientError(`Vault at ${address} is not reachable (${what}): ${describeVaultError(error)}`, { cause: error });
    }
    throw new VaultRequestError(address, what, vaultStatusCode(error), error);
  }
}
