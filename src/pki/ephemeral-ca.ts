// A new root and intermediate for this boot. The root key is never exportable and goes out of
// scope once the intermediate is signed; the intermediate key lives only in the returned signer.
import { KeyObject, X509Certificate as NodeCertificate, webcrypto } from "node:crypto";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import {
  authorityKeyIdentifier,
  basicConstraints,
  extensions,
  KEY_USAGE,
  keyIdentifier,
  keyUsage,
  name,
  OID,
  serialNumber,
  signed,
  subjectKeyIdentifier,
  validity,
  VERSION_3,
} from "./cert-der.js";
import { sequence } from "./der.js";
import type { IssuingCa } from "./issuing-ca.js";
import { generateSigningKeyPair, KEY_PROFILES } from "./key-algorithms.js";
import { signatureAlgorithmFor } from "./leaf-template.js";
import { derToPem } from "./pem.js";
import { randomSerialHex } from "./serial.js";
import { type CryptoKeyPair } from "./x509.js";

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
  /**
   * pki.issuer `vault`: the intermediate's key must reach Vault's PKI engine, so it is made
   * exportable and handed back as PKCS#8 PEM (the root's stays non-exportable).
   */
  exportIntermediateKey?: boolean;
}

const CA_USAGES = KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign;
const spkiOf = (keys: CryptoKeyPair) =>
  KeyObject.from(keys.publicKey as unknown as Parameters<typeof KeyObject.from>[0]).export({ type: "spki", format: "der" });
const keyObjectOf = (keys: CryptoKeyPair) => KeyObject.from(keys.privateKey as unknown as Parameters<typeof KeyObject.from>[0]);

/**
 * The root and the intermediate, written with cert-der.ts as @peculiar/x509 wrote them before
 * (same fields, same extensions): subject `CN=bootgate root|intermediate <tag>, OU=kernel boot
 * <id>`, CA basic constraints (the intermediate with path length 0), keyCertSign + cRLSign,
 * subject and authority key identifiers.
 */
export async function createEphemeralCa(options: EphemeralCaOptions): Promise<IssuingCa> {
  const profile = KEY_PROFILES[options.algorithm];
  const notBefore = new Date(options.now.getTime() - BACKDATE_MS);
  const notAfter = new Date(options.now.getTime() + options.validityMs + CA_EXTRA_MS);
  const tag = randomSerialHex().slice(0, 8);
  const unit = `${BOOT_UNIT_PREFIX}${options.kernelBootId ?? "unknown"}`;
  const [rootKeys, intermediateKeys] = await Promise.all([
    generateSigningKeyPair(options.algorithm),
    generateSigningKeyPair(options.algorithm, options.exportIntermediateKey === true),
  ]);
  const signature = signatureAlgorithmFor(profile.signing as { name: string; hash?: unknown }, rootKeys.privateKey);
  const rootSpki = spkiOf(rootKeys);
  const intermediateSpki = spkiOf(intermediateKeys);
  const rootId = keyIdentifier(rootSpki);
  const intermediateId = keyIdentifier(intermediateSpki);
  const rootName = name([
    [OID.commonName, `bootgate root ${tag}`],
    [OID.organizationalUnit, unit],
  ]);
  const intermediateName = name([
    [OID.commonName, `bootgate intermediate ${tag}`],
    [OID.organizationalUnit, unit],
  ]);
  const dates = validity(notBefore, notAfter);
  const rootKey = keyObjectOf(rootKeys);
  // Both CA certificates are signed by the root key, under the root's name.
  const signedByRoot = (subject: Uint8Array, spki: Uint8Array, exts: Uint8Array) =>
    signed(
      sequence(VERSION_3, serialNumber(randomSerialHex()), signature.algorithm, rootName, dates, subject, spki, exts),
      signature.algorithm,
      rootKey,
      signature.hash,
    );
  const root = signedByRoot(rootName, rootSpki, extensions(basicConstraints(true), keyUsage(CA_USAGES), subjectKeyIdentifier(rootId)));
  const intermediate = signedByRoot(
    intermediateName,
    intermediateSpki,
    extensions(basicConstraints(true, 0), keyUsage(CA_USAGES), subjectKeyIdentifier(intermediateId), authorityKeyIdentifier(rootId)),
  );

  const rootPem = derToPem(root);
  const intermediatePem = derToPem(intermediate);
  const intermediateKeyPem = options.exportIntermediateKey
    ? derToPem(new Uint8Array(await webcrypto.subtle.exportKey("pkcs8", intermediateKeys.privateKey as unknown as webcrypto.CryptoKey)), "PRIVATE KEY")
    : undefined;
  return {
    ...(intermediateKeyPem ? { intermediateKeyPem } : {}),
    mode: "ephemeral",
    root: new NodeCertificate(root),
    intermediate: new NodeCertificate(intermediate),
    bundlePem: rootPem + intermediatePem,
    chainPem: intermediatePem,
    notAfter,
    signer: {
      key: intermediateKeys.privateKey,
      signing: profile.signing,
      issuerDer: intermediateName,
      keyIdentifier: intermediateId,
    },
  };
}
