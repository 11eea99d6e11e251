// A new root and intermediate for this boot. The root key is never exportable and goes out of
// scope once the intermediate is signed; the intermediate key lives only in the returned signer.
import { X509Certificate as NodeCertificate } from "node:crypto";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import type { IssuingCa } from "./issuing-ca.js";
import { generateSigningKeyPair, KEY_PROFILES } from "./key-algorithms.js";
import { certificatePem } from "./pem.js";
import { randomSerialHex } from "./serial.js";
import { x509 } from "./x509.js";

/** Certificates are dated a little in the past so a peer whose clock lags still accepts them. */
export const BACKDATE_MS = 5 * 60_000;
/** The CA outlives its leaves by a day, so a leaf at the end of its life still chains. */
const CA_EXTRA_MS = 86_400_000;
/** Marks an ephemeral CA with the kernel boot it belongs to (see this-boot-ca.ts). */
export const BOOT_UNIT_PREFIX = "kernel boot ";

export interface EphemeralCaOptions {
  algorithm: KeyAlgorithm;
  validityMs: number;
  now: Date;
  kernelBootId: string | undefined;
}

const caUsages = () => new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true);

export async function createEphemeralCa(options: EphemeralCaOptions): Promise<IssuingCa> {
  const profile = KEY_PROFILES[options.algorithm];
  const notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  const notAfter = new Date(options.now.getTime() + options.validityMs + CA_EXTRA_MS);
  const tag = randomSerialHex().slice(0, 8);
  const unit = `OU=${BOOT_UNIT_PREFIX}${options.kernelBootId ?? "unknown"}`;
  const [rootKeys, intermediateKeys] = await Promise.all([
    generateSigningKeyPair(options.algorithm),
    generateSigningKeyPair(options.algorithm),
  ]);

  const root = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=bootgate root ${tag}, ${unit}`,
    keys: rootKeys,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter,
    signingAlgorithm: profile.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      caUsages(),
      await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });
  const intermediate = await x509.X509CertificateGenerator.create({
    subject: `CN=bootgate intermediate ${tag}, ${unit}`,
    issuer: root.subjectName,
    publicKey: intermediateKeys.publicKey,
    signingKey: rootKeys.privateKey,
    serialNumber: randomSerialHex(),
    notBefore,
    notAfter,
    signingAlgorithm: profile.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      caUsages(),
      await x509.SubjectKeyIdentifierExtension.create(intermediateKeys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(rootKeys.publicKey),
    ],
  });

  const rootPem = certificatePem(root);
  const intermediatePem = certificatePem(intermediate);
  return {
    mode: "ephemeral",
    root: new NodeCertificate(rootPem),
    intermediate: new NodeCertificate(intermediatePem),
    bundlePem: rootPem + intermediatePem,
    chainPem: intermediatePem,
    notAfter,
    signer: {
      key: intermediateKeys.privateKey,
      signing: profile.signing,
      issuerName: intermediate.subjectName,
      authorityKeyId: await x509.AuthorityKeyIdentifierExtension.create(intermediateKeys.publicKey),
    },
  };
}
