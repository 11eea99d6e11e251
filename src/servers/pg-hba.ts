// The access rules bootgate's PostgreSQL runs with: TLS with scram-sha-256 from loopback, and for
// every role that logs in with its certificate a line before those that also demands the
// certificate (`clientcert=verify-full`: signed by the stack's CA, CN = the role). pg_hba is
// first match, so a client of such a role without the certificate never reaches the general line.
import { roleNameProblem } from "../db/identifiers.js";

export function renderPgHba(clientCertRoles: readonly string[] = [], addresses: readonly string[] = ["127.0.0.1/32", "::1/128"]): string {
  const certLines = clientCertRoles.flatMap((role) => {
    // Checked again here: the name goes into a file PostgreSQL parses.
    const problem = roleNameProblem(role, { clientCert: true });
    if (problem) throw new Error(`cannot write pg_hba.conf: ${problem}`);
    return addresses.map((a) => `hostssl all "${role}" ${a} scram-sha-256 clientcert=verify-full`);
  });
  const general = addresses.map((a) => `hostssl all all ${a} scram-sha-256`);
  const title = certLines.length > 0 ? "TLS with scram-sha-256 only; these roles also need their certificate" : "TLS with scram-sha-256 only";
  return [`# written by bootgate: ${title}`, ...certLines, ...general, ""].join("\n");
}
