// The enrollee's key and request: the key is made in memory (webcrypto, extractable only to
// write key.pem), the request names what was asked for and nothing else (CN + subjectAltName).
import { isIP } from "node:net";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { KEY_PROFILES, generateKeyPair } from "../pki/key-algorithms.js";
import { pkcs8Pem } from "../pki/pem.js";
import { subtle, x509 } from "../pki/x509.js";

export interface MadeCsr {
  csrPem: string;
  keyPem: string;
}

export async function makeCsr(algorithm: KeyAlgorithm, commonName: string, names: string[]): Promise<MadeCsr> {
  const keys = await generateKeyPair(algorithm);
  const sans = [...new Set([commonName, ...names])].map((value) => ({ type: isIP(value) ? ("ip" as const) : ("dns" as const), value }));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: KEY_PROFILES[algorithm].signing,
    extensions: [new x509.SubjectAlternativeNameExtension(sans)],
  });
  return { csrPem: csr.toString("pem") + "\n", keyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)) };
}
