// node-postgres TLS options for verify-full against the stack's CA. pg passes `ssl` to
// tls.connect, then overwrites `servername` with the host when the host is a DNS name (it
// leaves it alone for an IP, RFC 6066). tls.connect checks the certificate against
// `servername`, so for 127.0.0.1 our service name wins; for a DNS host pg's would. The explicit
// checkServerIdentity pins the check to the service name whatever the host is.
import { readFile } from "node:fs/promises";
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate } from "node:tls";
import { caBundlePath } from "../volume/layout.js";

export function verifyFullSsl(caPem: string | Buffer, serverName: string): ConnectionOptions {
  return {
    ca: caPem,
    servername: serverName,
    rejectUnauthorized: true,
    checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert),
  };
}

export async function readStackCa(secretsDir: string): Promise<Buffer> {
  const path = caBundlePath(secretsDir);
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`cannot read the stack's CA bundle ${path} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}): run pki-init first`);
  }
}
