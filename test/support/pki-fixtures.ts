// Certificates and keys with chosen flaws, made with @peculiar/x509 for the imported-CA and
// imported-leaf tests: expired, not yet valid, not a CA, no keyCertSign, another CA's leaf…
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { KeyAlgorithm } from "../../src/config/sections/pki.js";
import { IMPORT_FILES } from "../../src/pki/imported-ca.js";
import { KEY_PROFILES } from "../../src/pki/key-algorithms.js";
import { certificatePem, pkcs8Pem } from "../../src/pki/pem.js";
import { randomSerialHex } from "../../src/pki/serial.js";
import { type CryptoKeyPair, subtle, x509 } from "../../src/pki/x509.js";

const DAY = 86_400_000;

export interface Minted {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  algorithm: KeyAlgorithm;
  pem: string;
  keyPem: string;
}

export interface MintOptions {
  name: string;
  algorithm?: KeyAlgorithm;
  /** Signed by this one; self-signed without it. */
  issuer?: Minted;
  ca?: boolean;
  keyCertSign?: boolean;
  notBefore?: Date;
  notAfter?: Date;
  dns?: string[];
}

export async function mint(options: MintOptions): Promise<Minted> {
  const algorithm = options.algorithm ?? "ecdsa-p256";
  const keys = (await subtle.generateKey(KEY_PROFILES[algorithm].generate, true, ["sign", "verify"])) as CryptoKeyPair;
  const ca = options.ca ?? false;
  const usage = ca
    ? ((options.keyCertSign ?? true) ? x509.KeyUsageFlags.keyCertSign : 0) | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
    : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(ca, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!ca) {
    extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]));
    extensions.push(new x509.SubjectAlternativeNameExtension([options.name, ...(options.dns ?? [])].map((value) => ({ type: "dns" as const, value }))));
  }
  const common = {
    serialNumber: randomSerialHex(),
    notBefore: options.notBefore ?? new Date(Date.now() - DAY),
    notAfter: options.notAfter ?? new Date(Date.now() + 30 * DAY),
    extensions,
  };
  const issuer = options.issuer;
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: `CN=${options.name}`,
        issuer: issuer.cert.subjectName,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
        signingAlgorithm: KEY_PROFILES[issuer.algorithm].signing,
      })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...common, name: `CN=${options.name}`, keys, signingAlgorithm: KEY_PROFILES[algorithm].signing });
  return { cert, keys, algorithm, pem: certificatePem(cert), keyPem: pkcs8Pem(await subtle.exportKey("pkcs8", keys.privateKey)) };
}

export interface ImportSet {
  root: Minted;
  intermediate: Minted;
}

/** A root and an intermediate that an import folder would hold. */
export async function mintImportSet(algorithm: KeyAlgorithm = "ecdsa-p256"): Promise<ImportSet> {
  const root = await mint({ name: "Test Import Root", ca: true, algorithm });
  const intermediate = await mint({ name: "Test Import Intermediate", ca: true, issuer: root, algorithm });
  return { root, intermediate };
}

export interface ImportFiles {
  root?: string;
  intermediate?: string;
  intermediateKey?: string;
}

/** Writes an import folder; a file left undefined is not written. */
export async function writeImportDir(dir: string, files: ImportFiles): Promise<string> {
  await mkdir(dir, { recursive: true });
  const pairs: [string, string | undefined][] = [
    [IMPORT_FILES.root, files.root],
    [IMPORT_FILES.intermediate, files.intermediate],
    [IMPORT_FILES.intermediateKey, files.intermediateKey],
  ];
  await Promise.all(pairs.filter(([, text]) => text !== undefined).map(([name, text]) => writeFile(join(dir, name), text!, { mode: 0o600 })));
  return dir;
}

export const importFilesOf = (set: ImportSet): ImportFiles => ({
  root: set.root.pem,
  intermediate: set.intermediate.pem,
  intermediateKey: set.intermediate.keyPem,
});

export async function writeLeafDir(dir: string, files: { cert?: string; key?: string; chain?: string }): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (files.cert !== undefined) await writeFile(join(dir, "cert.pem"), files.cert);
  if (files.key !== undefined) await writeFile(join(dir, "key.pem"), files.key, { mode: 0o600 });
  if (files.chain !== undefined) await writeFile(join(dir, "chain.pem"), files.chain);
  return dir;
}

export const daysFromNow = (days: number) => new Date(Date.now() + days * DAY);
