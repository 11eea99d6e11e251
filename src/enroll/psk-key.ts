// The PSK (agent.enroll.psk, a file: never argv or env) and the HS256 key derived from it with
// PBKDF2-HMAC-SHA256 and a salt that `GET /ca/cert` carries, as in the Resoto design. The JWT in
// that response is public (it is served in the clear), so anyone may try to guess the PSK offline:
// the iteration count is high and the PSK must be long and random (at least 32 characters).
import { pbkdf2 } from "node:crypto";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256. A client refuses a response that asks for fewer. */
export const PBKDF2_ITERATIONS = 600_000;
export const MIN_PSK_LENGTH = 32;
const derive = promisify(pbkdf2);

export function derivePskKey(psk: Uint8Array, salt: Uint8Array, iterations = PBKDF2_ITERATIONS): Promise<Buffer> {
  if (iterations < PBKDF2_ITERATIONS) return Promise.reject(new Error(`expected at least ${PBKDF2_ITERATIONS} PBKDF2 iterations, got ${iterations}`));
  return derive(psk, salt, iterations, 32, "sha256");
}

/** The PSK file's first line; the error names the file and what is wrong, never the content. */
export async function readPskFile(file: string, what: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new Error(`${what}: cannot read the PSK file ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: error });
  }
  const psk = text.split(/\r?\n/)[0]!.trim();
  if (psk.length < MIN_PSK_LENGTH) throw new Error(`${what}: expected the PSK in ${file} to be at least ${MIN_PSK_LENGTH} characters on its first line`);
  return Buffer.from(psk, "utf8");
}
