// `pki.ca: { import: DIR }`: the root certificate and the intermediate certificate and key
// from a folder on the persistent volume. Everything is checked before anything is written.
import { X509Certificate as NodeCertificate } from "node:crypto";
import { join } from "node:path";
import type { KeyObject } from "node:crypto";
import { type CaSigner, certNotAfter, type IssuingCa } from "./issuing-ca.js";
import { checkIsCa } from "./ca-checks.js";
import { keyIdentifier, subjectOf } from "./cert-der.js";
import { checkKeyMatches, checkValidAt, fail, isSignedBy, parseCertificates, parsePrivateKey, readMaterial } from "./material-checks.js";
import { type Algorithm, type EcdsaParams, type EcKeyImportParams, type RsaHashedImportParams, subtle, x509 } from "./x509.js";

/** The files an import folder holds; the root key is never needed. */
export const IMPORT_FILES = {
  root: "root.pem",
  intermediate: "intermediate.pem",
  intermediateKey: "intermediate-key.pem",
} as const;

const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: "P-256", hash: "SHA-256" },
  secp384r1: { namedCurve: "P-384", hash: "SHA-384" },
  secp521r1: { namedCurve: "P-521", hash: "SHA-512" },
};

/** How webcrypto signs with an imported key, or a ConfigError for kinds it cannot use. */
function signingFor(file: string, key: KeyObject): { importAs: Algorithm | EcKeyImportParams | RsaHashedImportParams; signing: Algorithm | EcdsaParams } {
  if (key.asymmetricKeyType === "ec") {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ""];
    if (curve) return { importAs: { name: "ECDSA", namedCurve: curve.namedCurve }, signing: { name: "ECDSA", hash: curve.hash } };
  } else if (key.asymmetricKeyType === "rsa") {
    return { importAs: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, signing: { name: "RSASSA-PKCS1-v1_5" } };
  } else if (key.asymmetricKeyType === "ed25519") {
    return { importAs: { name: "Ed25519" }, signing: { name: "Ed25519" } };
  }
  return fail(file, "pki.ca.import (intermediate key)", "expected an ECDSA (P-256, P-384, P-521), RSA or Ed25519 key");
}

export async function loadImportedCa(dir: string, now: Date): Promise<IssuingCa> {
  const rootFile = join(dir, IMPORT_FILES.root);
  const intermediateFile = join(dir, IMPORT_FILES.intermediate);
  const keyFile = join(dir, IMPORT_FILES.intermediateKey);
  const [rootText, intermediateText, keyText] = await Promise.all([
    readMaterial(rootFile, "pki.ca.import (root certificate)"),
    readMaterial(intermediateFile, "pki.ca.import (intermediate certificate)"),
    readMaterial(keyFile, "pki.ca.import (intermediate key)"),
  ]);

  const root = parseCertificates(rootFile, "pki.ca.import (root certificate)", rootText)[0]!;
  if (!isSignedBy(root, root))
    fail(rootFile, "pki.ca.import (root certificate)", "expected a self-signed root certificate; its signature does not verify with its own key");
  checkIsCa(rootFile, "pki.ca.import (root certificate)", root);
  checkValidAt(rootFile, "pki.ca.import (root certificate)", root, now);

  const intermediate = parseCertificates(intermediateFile, "pki.ca.import (intermediate certificate)", intermediateText)[0]!;
  checkIsCa(intermediateFile, "pki.ca.import (intermediate certificate)", intermediate);
  checkValidAt(intermediateFile, "pki.ca.import (intermediate certificate)", intermediate, now);
  if (!isSignedBy(intermediate, root)) {
    fail(
      intermediateFile,
      "pki.ca.import (intermediate certificate)",
      `expected a certificate signed by ${rootFile}; the chain does not verify (issuer ${intermediate.issuer.replace(/\n/g, ", ")})`,
    );
  }

  const key = parsePrivateKey(keyFile, "pki.ca.import (intermediate key)", keyText);
  checkKeyMatches(keyFile, "pki.ca.import (intermediate key)", key, intermediate, intermediateFile);
  const { importAs, signing } = signingFor(keyFile, key);
  const der = key.export({ type: "pkcs8", format: "der" });
  const signingKey = await subtle.importKey("pkcs8", der, importAs, false, ["sign"]);

  const signer: CaSigner = {
    key: signingKey,
    signing,
    issuerDer: subjectOf(intermediate.raw),
    keyIdentifier: keyIdentifierOf(intermediate),
  };
  const rootPem = normalizedPem(root);
  const intermediatePem = normalizedPem(intermediate);
  return {
    mode: "imported",
    root,
    intermediate,
    bundlePem: rootPem + intermediatePem,
    chainPem: intermediatePem,
    notAfter: new Date(Math.min(certNotAfter(root).getTime(), certNotAfter(intermediate).getTime())),
    signer,
  };
}

/** The leaves' AKI must equal the intermediate's own SKI where it has one, however it was computed. */
function keyIdentifierOf(cert: NodeCertificate): Uint8Array {
  const ski = new x509.X509Certificate(cert.raw).getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return Buffer.from(ski.keyId, "hex");
  return keyIdentifier(cert.publicKey.export({ type: "spki", format: "der" }));
}

export const normalizedPem = (cert: NodeCertificate) => cert.toString().trimEnd() + "\n";
