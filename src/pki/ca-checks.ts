// The check that needs @peculiar/x509 to read extensions (node:crypto does not expose keyUsage):
// apart from material-checks.ts so that only imports load the library.
import type { X509Certificate as NodeCertificate } from "node:crypto";
import { fail } from "./material-checks.js";
import { x509 } from "./x509.js";

export function checkIsCa(file: string, what: string, cert: NodeCertificate): void {
  const parsed = new x509.X509Certificate(cert.raw);
  const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) fail(file, what, "expected a CA certificate (basicConstraints CA:TRUE); this one is not a CA");
  const usages = parsed.getExtension(x509.KeyUsagesExtension);
  if (usages && (usages.usages & x509.KeyUsageFlags.keyCertSign) === 0) {
    fail(file, what, "expected a CA certificate with keyUsage keyCertSign; this one may not sign certificates");
  }
}
