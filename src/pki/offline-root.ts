// `pki.ca: { import: DIR }` with `pki.issuer: vault`: the operator's root stays offline and only
// its certificate is here (DIR/root.pem). Vault's PKI engine generated the intermediate's key
// (`bootgate ca csr`) and holds the certificate the root signed for it (`bootgate ca install`);
// its public copy in the state folder lets pki-init write ca/ca.pem before Vault runs.
import { X509Certificate as NodeCertificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../config/normalize.js";
import { installedIntermediatePath } from "../volume/layout.js";
import { checkIsCa } from "./ca-checks.js";
import { IMPORT_FILES } from "./imported-ca.js";
import { certNotAfter, type IssuingCa } from "./issuing-ca.js";
import { checkValidAt, fail, isSignedBy, parseCertificates, readMaterial } from "./material-checks.js";

const ROOT_WHAT = "pki.ca.import (root certificate)";

export const offlineRootFile = (config: Pick<Config, "pki">) => join((config.pki.ca as { import: string }).import, IMPORT_FILES.root);

/** The offline root's certificate, checked: self-signed, a CA, valid now. A ConfigError naming the file otherwise. */
export async function loadOfflineRoot(config: Pick<Config, "pki">, now: Date): Promise<NodeCertificate> {
  const file = offlineRootFile(config);
  const root = parseCertificates(file, ROOT_WHAT, await readMaterial(file, ROOT_WHAT))[0]!;
  if (!isSignedBy(root, root)) fail(file, ROOT_WHAT, "expected a self-signed root certificate; its signature does not verify with its own key");
  checkIsCa(file, ROOT_WHAT, root);
  checkValidAt(file, ROOT_WHAT, root, now);
  return root;
}

export const pemOf = (cert: NodeCertificate) => cert.toString().trimEnd() + "\n";

/** The stack's CA as leaves see it: the root, then Vault's intermediate. It has no signer: only Vault signs. */
export function offlineCa(root: NodeCertificate, intermediate: NodeCertificate): IssuingCa {
  const chainPem = pemOf(intermediate);
  return {
    mode: "imported",
    root,
    intermediate,
    bundlePem: pemOf(root) + chainPem,
    chainPem,
    notAfter: new Date(Math.min(certNotAfter(root).getTime(), certNotAfter(intermediate).getTime())),
  };
}

/**
 * The installed intermediate's public copy, when there is one that the root signed and that is
 * valid now; undefined otherwise (never installed, or stale: pki-init then bootstraps).
 */
export async function loadInstalledIntermediate(config: Pick<Config, "stateDir">, root: NodeCertificate, now: Date): Promise<NodeCertificate | undefined> {
  let text: string;
  try {
    text = await readFile(installedIntermediatePath(config.stateDir), "utf8");
  } catch {
    return undefined;
  }
  try {
    const cert = new NodeCertificate(text);
    if (!isSignedBy(cert, root) || new Date(cert.validTo) <= now || new Date(cert.validFrom) > now) return undefined;
    return cert;
  } catch {
    return undefined;
  }
}
