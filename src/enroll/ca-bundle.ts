// The trust bundle an enrollee downloads in the clear, and how it decides to trust it: the root
// (the bundle's one self-signed certificate) must have the SHA-256 fingerprint the operator gave,
// or the whole bundle text the SHA-256 a PSK-signed statement names; and every other certificate
// in it must be issued by that root. Only then is anything in it used as a trust anchor.
import { createHash, X509Certificate } from "node:crypto";
import { splitCertificates } from "../pki/pem.js";

export type BundleVerdict = { ok: true; rootPem: string; bundlePem: string } | { ok: false; reason: string };

export const sha256Hex = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** `AB:CD:…` (openssl, step) or plain hex, any case: 64 lowercase hex digits, or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text
    .trim()
    .replace(/^sha256 fingerprint=/i, "")
    .replace(/:/g, "")
    .toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function parse(bundlePem: string): { certs: X509Certificate[]; pems: string[] } | { reason: string } {
  const pems = splitCertificates(bundlePem);
  if (pems.length === 0) return { reason: "the bundle holds no certificate" };
  try {
    return { certs: pems.map((p) => new X509Certificate(p)), pems };
  } catch {
    return { reason: "the bundle holds an unreadable certificate" };
  }
}

const selfSigned = (c: X509Certificate) => c.checkIssued(c) && c.verify(c.publicKey);

/** The root's fingerprint as the enrollee checks it (what `bootgate status` and the docs tell an operator to copy). */
export function rootFingerprint(bundlePem: string): string {
  const parsed = parse(bundlePem);
  if ("reason" in parsed) throw new Error(parsed.reason);
  const root = parsed.certs.find(selfSigned);
  if (!root) throw new Error("the bundle holds no self-signed root");
  return sha256Hex(root.raw);
}

export function checkBundle(bundlePem: string, expect: { fingerprint: string } | { bundleSha256: string }): BundleVerdict {
  if ("bundleSha256" in expect && sha256Hex(bundlePem) !== expect.bundleSha256)
    return { ok: false, reason: "the bundle's SHA-256 is not the one the PSK-signed statement names" };
  const parsed = parse(bundlePem);
  if ("reason" in parsed) return { ok: false, reason: parsed.reason };
  const roots = parsed.certs.map((c, i) => ({ c, i })).filter(({ c }) => selfSigned(c));
  if (roots.length !== 1) return { ok: false, reason: `expected one self-signed root in the bundle, found ${roots.length}` };
  const root = roots[0]!;
  if ("fingerprint" in expect) {
    const got = sha256Hex(root.c.raw);
    if (got !== expect.fingerprint) return { ok: false, reason: `the root's SHA-256 fingerprint is ${got}, expected ${expect.fingerprint}` };
  }
  for (const [i, c] of parsed.certs.entries()) {
    if (i === root.i) continue;
    if (!c.checkIssued(root.c) || !c.verify(root.c.publicKey))
      return { ok: false, reason: `certificate ${i + 1} of the bundle (${c.subject.replace(/\n/g, ", ")}) is not issued by its root` };
    if (!c.ca) return { ok: false, reason: `certificate ${i + 1} of the bundle is not a CA` };
  }
  return { ok: true, rootPem: parsed.pems[root.i]!, bundlePem: parsed.pems.join("") };
}
