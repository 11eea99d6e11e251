// A service's leaf imported as is (e.g. a public certificate for the gateway): cert.pem, key.pem
// and optionally chain.pem in its folder. Checked like an imported CA, then used unchanged.
import { join } from "node:path";
import type { X509Certificate as NodeCertificate } from "node:crypto";
import type { IssuingCa } from "./issuing-ca.js";
import type { PemTriple } from "./pem-triple.js";
import { checkIsCa } from "./ca-checks.js";
import { checkKeyMatches, checkValidAt, fail, isSignedBy, parseCertificates, parsePrivateKey, readMaterial } from "./material-checks.js";
import { normalizedPem } from "./imported-ca.js";
import { pathExists } from "../util/path-exists.js";

export const IMPORTED_LEAF_FILES = { cert: "cert.pem", key: "key.pem", chain: "chain.pem" } as const;

/** The chain is chain.pem's certificates, or the stack's intermediate; the key is re-encoded as PKCS#8, the layout's one key format. */
export interface ImportedLeaf extends PemTriple {
  service: string;
  serial: string;
  notAfter: Date;
  dir: string;
}

/**
 * Without chain.pem the leaf must come from the stack's own intermediate (`stackCa`, absent
 * when that CA is not known yet or cannot be known: an ephemeral CA is new every boot).
 */
export async function loadImportedLeaf(service: string, dir: string, stackCa: IssuingCa | undefined, now: Date): Promise<ImportedLeaf> {
  const certFile = join(dir, IMPORTED_LEAF_FILES.cert);
  const keyFile = join(dir, IMPORTED_LEAF_FILES.key);
  const chainFile = join(dir, IMPORTED_LEAF_FILES.chain);
  const what = `services.${service}.importCert`;
  const [certText, keyText] = await Promise.all([readMaterial(certFile, what), readMaterial(keyFile, what)]);
  const certs = parseCertificates(certFile, what, certText);
  const leaf = certs[0]!;
  checkValidAt(certFile, what, leaf, now);
  const key = parsePrivateKey(keyFile, what, keyText);
  checkKeyMatches(keyFile, what, key, leaf, certFile);

  let chain: NodeCertificate[];
  let chainSource: string;
  if (await pathExists(chainFile)) {
    chain = parseCertificates(chainFile, what, await readMaterial(chainFile, what));
    chainSource = chainFile;
  } else if (certs.length > 1) {
    chain = certs.slice(1);
    chainSource = certFile;
  } else {
    if (!stackCa) {
      fail(
        certFile,
        what,
        "expected a chain.pem beside it (the leaf's issuing chain): an ephemeral CA is new every boot, so an imported leaf cannot come from it",
      );
    }
    if (!isSignedBy(leaf, stackCa!.intermediate)) {
      fail(
        certFile,
        what,
        `expected a certificate issued by the stack's CA (${stackCa!.intermediate.subject.replace(/\n/g, ", ")}) or a chain.pem beside it; it was issued by ${leaf.issuer.replace(/\n/g, ", ")}`,
      );
    }
    chain = [stackCa!.intermediate];
    chainSource = "the stack's CA";
  }

  let child = leaf;
  chain.forEach((issuer, i) => {
    const where = chainSource === "the stack's CA" ? certFile : chainSource;
    if (!isSignedBy(child, issuer)) {
      fail(where, what, `expected certificate #${i + 1} of the chain to have signed ${i === 0 ? "the leaf" : `certificate #${i}`}; the chain does not verify`);
    }
    checkIsCa(where, what, issuer);
    checkValidAt(where, what, issuer, now);
    child = issuer;
  });
  // A self-signed last link must verify itself; anything above it is a public root we do not hold.
  const top = chain[chain.length - 1]!;
  if (top.checkIssued(top) && !top.verify(top.publicKey)) fail(chainSource, what, "expected the self-signed root of the chain to verify with its own key");

  return {
    service,
    certPem: normalizedPem(leaf),
    chainPem: chain.map(normalizedPem).join(""),
    keyPem: key.export({ type: "pkcs8", format: "pem" }).toString().trimEnd() + "\n",
    serial: leaf.serialNumber.toLowerCase(),
    notAfter: new Date(leaf.validTo),
    dir,
  };
}
