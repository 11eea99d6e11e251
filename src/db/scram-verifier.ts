// A SCRAM-SHA-256 verifier as PostgreSQL stores it in pg_authid.rolpassword (RFC 5802 / 7677):
//   SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>
// Sending the verifier in `ALTER ROLE … PASSWORD '<verifier>'` sets the password without the
// clear text ever reaching the server, its logs or an error that echoes the statement.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

const pbkdf2Async = promisify(pbkdf2);

/** PostgreSQL's defaults (scram_iterations = 4096, a 16-byte salt). */
export const SCRAM_ITERATIONS = 4096;
export const SCRAM_SALT_BYTES = 16;

const VERIFIER = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})$/;

export interface ParsedVerifier {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function parseScramVerifier(text: string): ParsedVerifier | undefined {
  const m = VERIFIER.exec(text);
  if (!m) return undefined;
  return {
    iterations: Number(m[1]),
    salt: Buffer.from(m[2]!, "base64"),
    storedKey: Buffer.from(m[3]!, "base64"),
    serverKey: Buffer.from(m[4]!, "base64"),
  };
}

/** Our passwords are printable ASCII, which SASLprep leaves as is; anything else is refused rather than mis-hashed. */
function normalized(password: string): Buffer {
  if (!/^[\x20-\x7e]*$/.test(password)) throw new Error("SCRAM verifier: only printable ASCII passwords are supported");
  return Buffer.from(password, "utf8");
}

async function keysFor(password: string, salt: Buffer, iterations: number): Promise<{ storedKey: Buffer; serverKey: Buffer }> {
  const salted = await pbkdf2Async(normalized(password), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  salted.fill(0);
  return { storedKey, serverKey };
}

export async function scramVerifier(password: string, salt: Buffer = randomBytes(SCRAM_SALT_BYTES), iterations = SCRAM_ITERATIONS): Promise<string> {
  const { storedKey, serverKey } = await keysFor(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/** Whether `verifier` (as read from pg_authid) was made from `password`. */
export async function verifierMatches(verifier: string, password: string): Promise<boolean> {
  const parsed = parseScramVerifier(verifier);
  if (!parsed) return false;
  const { storedKey, serverKey } = await keysFor(password, parsed.salt, parsed.iterations);
  return (
    storedKey.length === parsed.storedKey.length &&
    timingSafeEqual(storedKey, parsed.storedKey) &&
    serverKey.length === parsed.serverKey.length &&
    timingSafeEqual(serverKey, parsed.serverKey)
  );
}

export const isScramVerifier = (text: string) => VERIFIER.test(text);
