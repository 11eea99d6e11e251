// Whether a leaf already on the volume can stay: issued by the current CA, for the SANs and key
// algorithm the config asks now, its key beside it, and valid for longer than renewBefore. A kept
// leaf whose modes or owners no longer match the config is rewritten as is (same certificate).
import { createPrivateKey, X509Certificate as NodeCertificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { ServiceConfig } from "../config/schema.js";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { isRoot, type WriteOptions } from "../fs/atomic-write.js";
import { publicFileOptions, secretFileOptions, serviceDirOptions } from "../fs/service-dir.js";
import { SERVICE_FILES } from "../volume/layout.js";
import { certNotAfter, certNotBefore, type IssuingCa } from "./issuing-ca.js";
import { expectedSans } from "./leaf-issue.js";
import { isSignedBy, keyKind } from "./material-checks.js";

export type KeepVerdict =
  | {
      keep: true;
      serial: string;
      notAfter: Date;
      caCopyCurrent: boolean;
      /** Folder and files have the modes and owners the config asks now (it may have changed). */
      modesCurrent: boolean;
      certPem: string;
      keyPem: string;
    }
  | { keep: false; reason: string; stillValid?: boolean };

async function hasModes(path: string, options: WriteOptions): Promise<boolean> {
  const info = await stat(path);
  if ((info.mode & 0o777) !== options.mode) return false;
  if (!isRoot()) return true;
  return (options.uid === undefined || info.uid === options.uid) && (options.gid === undefined || info.gid === options.gid);
}

async function modesAreCurrent(dir: string, service: ServiceConfig): Promise<boolean> {
  const checks = await Promise.all([
    hasModes(dir, serviceDirOptions(service)),
    hasModes(join(dir, SERVICE_FILES.key), secretFileOptions(service)),
    hasModes(join(dir, SERVICE_FILES.cert), publicFileOptions(service)),
    hasModes(join(dir, SERVICE_FILES.ca), publicFileOptions(service)),
  ]);
  return checks.every(Boolean);
}

const KIND_OF: Record<KeyAlgorithm, string> = {
  "ecdsa-p256": "ec prime256v1",
  "ecdsa-p384": "ec secp384r1",
  "rsa-2048": "rsa 2048",
  "rsa-3072": "rsa 3072",
  "rsa-4096": "rsa 4096",
  ed25519: "ed25519",
};

/** IPs compare in one spelling whatever the source wrote (OpenSSL prints IPv6 uncompressed). */
const canonicalIp = (ip: string) => new URL(`http://${ip.includes(":") ? `[${ip}]` : ip}/`).hostname;
const sanKey = (names: { type: string; value: string }[]) =>
  JSON.stringify(names.map((n) => `${n.type}:${n.type === "ip" ? canonicalIp(n.value) : n.value}`).sort());

/** Node's (OpenSSL's) `DNS:a, IP Address:1.2.3.4` text, for the name types leaves carry. */
function parseNodeSans(text: string): { type: string; value: string }[] {
  return text
    .split(", ")
    .filter(Boolean)
    .map((entry) => {
      if (entry.startsWith("DNS:")) return { type: "dns", value: entry.slice(4) };
      if (entry.startsWith("IP Address:")) return { type: "ip", value: entry.slice(11) };
      return { type: "other", value: entry };
    });
}

export async function judgeExistingLeaf(
  dir: string,
  service: ServiceConfig,
  ca: IssuingCa,
  algorithm: KeyAlgorithm,
  renewBeforeMs: number,
  now: Date,
): Promise<KeepVerdict> {
  let certText: string, keyText: string, caText: string;
  try {
    [certText, keyText, caText] = (await Promise.all([SERVICE_FILES.cert, SERVICE_FILES.key, SERVICE_FILES.ca].map((f) => readFile(join(dir, f), "utf8")))) as [
      string,
      string,
      string,
    ];
  } catch {
    return { keep: false, reason: "missing files" };
  }
  const verdict = judgeLeafText(certText, keyText, service, ca, algorithm, renewBeforeMs, now);
  if (!verdict.keep) return verdict;
  try {
    return {
      ...verdict,
      caCopyCurrent: caText === ca.bundlePem,
      modesCurrent: await modesAreCurrent(dir, service),
      certPem: certText,
      keyPem: keyText,
    };
  } catch {
    return { keep: false, reason: "unreadable" };
  }
}

/** The same judgement of a leaf and key given as text (e.g. the sealed bootstrap leaves), folder aside. */
export function judgeLeafText(
  certText: string,
  keyText: string,
  service: ServiceConfig,
  ca: IssuingCa,
  algorithm: KeyAlgorithm,
  renewBeforeMs: number,
  now: Date,
): { keep: true; serial: string; notAfter: Date } | { keep: false; reason: string; stillValid?: boolean } {
  try {
    const leaf = new NodeCertificate(certText);
    if (!isSignedBy(leaf, ca.intermediate)) return { keep: false, reason: "issued by another CA" };
    if (certNotBefore(leaf) > now) return { keep: false, reason: "not yet valid" };
    if (certNotAfter(leaf).getTime() - now.getTime() <= renewBeforeMs) return { keep: false, reason: "due for renewal", stillValid: certNotAfter(leaf) > now };
    if (keyKind(leaf.publicKey) !== KIND_OF[algorithm]) return { keep: false, reason: "key algorithm changed" };
    if (!leaf.checkPrivateKey(createPrivateKey(keyText))) return { keep: false, reason: "key does not match" };
    if (sanKey(parseNodeSans(leaf.subjectAltName ?? "")) !== sanKey(expectedSans(service))) return { keep: false, reason: "names changed" };
    return { keep: true, serial: leaf.serialNumber.toLowerCase(), notAfter: certNotAfter(leaf) };
  } catch {
    return { keep: false, reason: "unreadable" };
  }
}
