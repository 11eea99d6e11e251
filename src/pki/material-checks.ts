// Checks on certificate and key files that came from outside (an imported CA, an imported
// leaf). Each failure is a ConfigError naming the file and saying what was expected; no
// message ever quotes key material.
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate as NodeCertificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { ConfigError } from "../errors.js";
import { certNotAfter, certNotBefore } from "./issuing-ca.js";
import { splitCertificates } from "./pem.js";

export const fail = (file: string, what: string, message: string, cause?: unknown): never => {
  throw new ConfigError(file, [{ path: what, message }], cause === undefined ? undefined : { cause });
};

export async function readMaterial(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    return fail(file, what, `expected a readable PEM file (${code})`, error);
  }
}

/** Every certificate in a PEM file; at least one. */
export function parseCertificates(file: string, what: string, text: string): NodeCertificate[] {
  const blocks = splitCertificates(text);
  if (blocks.length === 0) fail(file, what, "expected a PEM certificate (-----BEGIN CERTIFICATE-----), found none");
  return blocks.map((block, i) => {
    try {
      return new NodeCertificate(block);
    } catch (error) {
      return fail(file, what, `expected a valid PEM certificate, but certificate #${i + 1} does not parse`, error);
    }
  });
}

export function parsePrivateKey(file: string, what: string, text: string): KeyObject {
  if (/ENCRYPTED/.test(text)) fail(file, what, "expected an unencrypted private key; this one is encrypted");
  try {
    return createPrivateKey({ key: text, format: "pem" });
  } catch (error) {
    return fail(file, what, "expected a PEM private key (PKCS#8, SEC1 or PKCS#1); it does not parse", error);
  }
}

export function checkValidAt(file: string, what: string, cert: NodeCertificate, now: Date): void {
  if (certNotBefore(cert) > now) fail(file, what, `expected a certificate valid now; it is not valid before ${certNotBefore(cert).toISOString()}`);
  if (certNotAfter(cert) <= now) fail(file, what, `expected a certificate valid now; it expired on ${certNotAfter(cert).toISOString()}`);
}

/** "ec P-256", "rsa 2048", "ed25519": how a key is named in messages and compared. */
export function keyKind(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "ec") return `ec ${details.namedCurve ?? "?"}`;
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") return `${key.asymmetricKeyType} ${details.modulusLength ?? "?"}`;
  return key.asymmetricKeyType ?? "unknown";
}

export function checkKeyMatches(keyFile: string, what: string, key: KeyObject, cert: NodeCertificate, certFile: string): void {
  const certKind = keyKind(cert.publicKey);
  const kind = keyKind(createPublicKey(key));
  if (certKind !== kind) {
    fail(keyFile, what, `expected a key of type ${certKind} to match ${certFile}, got one of type ${kind}`);
  }
  if (!cert.checkPrivateKey(key)) {
    fail(keyFile, what, `expected the private key of the certificate in ${certFile}; this key belongs to another certificate`);
  }
}

/** `cert` was signed by `issuer`: names chain and the signature verifies. */
export function isSignedBy(cert: NodeCertificate, issuer: NodeCertificate): boolean {
  return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
}
