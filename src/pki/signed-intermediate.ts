// `bootgate ca install FILE`: what the operator brings back from the offline root is checked
// before Vault or the state folder is touched. Each refusal is a ConfigError naming FILE (exit 2).
import { createPublicKey, type X509Certificate as NodeCertificate } from "node:crypto";
import { checkIsCa } from "./ca-checks.js";
import { checkValidAt, fail, isSignedBy, parseCertificates } from "./material-checks.js";
import { x509 } from "./x509.js";

const WHAT = "ca install (signed intermediate)";

/** The SubjectPublicKeyInfo of a PEM CSR (PKCS#10), DER: the key Vault generated for the intermediate. */
export function csrPublicKeyDer(csrPem: string): Buffer {
  return Buffer.from(new x509.Pkcs10CertificateRequest(csrPem).publicKey.rawData);
}

/**
 * The signed intermediate in `text` (first certificate; a chain after it is ignored): a CA that
 * may sign certificates, valid now, signed by the offline root, for the key of `csrPem`.
 */
export function checkSignedIntermediate(file: string, text: string, root: NodeCertificate, rootFile: string, csrPem: string, now: Date): NodeCertificate {
  const cert = parseCertificates(file, WHAT, text)[0]!;
  const spki = cert.publicKey.export({ type: "spki", format: "der" });
  let wanted: Buffer;
  try {
    wanted = createPublicKey({ key: csrPublicKeyDer(csrPem), format: "der", type: "spki" }).export({ type: "spki", format: "der" });
  } catch (error) {
    return fail(
      file,
      WHAT,
      "expected a pending request from `bootgate ca csr`; the one in the state folder does not parse: run `bootgate ca csr` again",
      error,
    );
  }
  if (!spki.equals(wanted))
    fail(file, WHAT, "expected the certificate for the key of the last `bootgate ca csr` request (the key Vault generated); this one is for another key");
  checkValidAt(file, WHAT, cert, now);
  checkIsCa(file, WHAT, cert);
  if (!isSignedBy(cert, root))
    fail(
      file,
      WHAT,
      `expected a certificate signed by the imported root ${rootFile}; it does not verify with that root (issuer ${cert.issuer.replace(/\n/g, ", ")})`,
    );
  return cert;
}
