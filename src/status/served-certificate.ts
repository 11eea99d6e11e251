// The gateway's served certificate as status shows it, the same for nginx and Kong.
import { X509Certificate } from "node:crypto";

const DAY_MS = 86_400_000;

export interface ServedCertificate {
  subject: string;
  notAfter: string;
  daysLeft: number;
  fingerprint: string;
}

/** The status row and the --json value for a PEM certificate (throws on one that does not parse). */
export function servedCertificate(pem: string, now = Date.now()): { row: [string, string]; data: ServedCertificate } {
  const cert = new X509Certificate(pem);
  const notAfter = new Date(cert.validTo).toISOString();
  const daysLeft = Math.floor((new Date(cert.validTo).getTime() - now) / DAY_MS);
  return {
    row: ["certificate", `${cert.subject.replace(/\n/g, ", ")}; until ${notAfter} (${daysLeft} days); sha256 ${cert.fingerprint256}`],
    data: { subject: cert.subject, notAfter, daysLeft, fingerprint: cert.fingerprint256 },
  };
}
