// node-postgres TLS options for verify-full against the stack's CA. pg passes `ssl` to
// tls.connect and sets `servername` itself only for a DNS host (never for an IP, RFC 6066);
// tls.connect checks the certificate against `servername` before `host`, so giving the service
// name here verifies the server by that name even when connecting to 127.0.0.1.
import { readFile } from "node:fs/promises";
import type { ConnectionOptions } from "node:tls";
import { caBundlePath } from "../vault/vault-client.js";

export function verifyFullSsl(caPem: string | Buffer, serverName: string): ConnectionOptions {
  return { ca: caPem, servername: serverName, rejectUnauthorized: true };
}

export async function readStackCa(secretsDir: string): Promise<Buffer> {
  const path = caBundlePath(secretsDir);
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read the stack's CA bundle ${path} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}): run pki-init first`);
  }
}
