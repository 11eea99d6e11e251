// A certificate imported for the gateway (e.g. a public one from Let's Encrypt): a folder with
// cert.pem (leaf, optionally followed by its chain), key.pem and optionally chain.pem. Bad
// material is a ConfigError naming the file: exit 2, nothing written.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "../errors.js";
import { gatewayTlsFrom, type GatewayTls } from "./gateway-tls.js";

const FIELD = "gateway.importCert";
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export async function loadImportedGatewayCert(dir: string, now = new Date()): Promise<GatewayTls> {
  // Loaded here, not at the top: imported-leaf brings @peculiar/x509 (with reflect-metadata,
  // tsyringe and the asn1 schemas), which every `run` and `up` paid at its start for a gateway
  // certificate that is rarely imported (bench/up.mjs, before the run).
  const { IMPORTED_LEAF_FILES } = await import("../pki/imported-leaf.js");
  const certFile = join(dir, IMPORTED_LEAF_FILES.cert);
  const keyFile = join(dir, IMPORTED_LEAF_FILES.key);
  const chainFile = join(dir, IMPORTED_LEAF_FILES.chain);
  const certText = await read(certFile, true);
  const keyText = await read(keyFile, true);
  const chainText = (await read(chainFile, false)) ?? "";

  const blocks = certText!.match(PEM_CERT) ?? [];
  if (blocks.length === 0) bad(certFile, "expected a PEM certificate (-----BEGIN CERTIFICATE-----)");
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(blocks[0]!);
  } catch (error) {
    return bad(certFile, "expected a readable X.509 certificate", error);
  }
  if (new Date(leaf.validTo) <= now) bad(certFile, `expected a certificate still valid; it expired ${new Date(leaf.validTo).toISOString()}`);
  if (new Date(leaf.validFrom) > now) bad(certFile, `expected a certificate already valid; it starts ${new Date(leaf.validFrom).toISOString()}`);
  if (leaf.ca) bad(certFile, "expected a leaf certificate, got a CA certificate");
  let key;
  try {
    key = createPrivateKey(keyText!);
  } catch (error) {
    return bad(keyFile, "expected an unencrypted PEM private key", error);
  }
  if (!leaf.checkPrivateKey(key)) bad(keyFile, `expected the private key of ${certFile}; this key belongs to another certificate`);
  const chain = [...blocks.slice(1), ...(chainText.match(PEM_CERT) ?? [])].join("\n");
  return gatewayTlsFrom({ certPem: blocks[0]!, keyPem: keyText!, chainPem: chain, source: "import" });
}

async function read(file: string, required: boolean): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return bad(file, `expected a readable file (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, error);
  }
}

function bad(file: string, message: string, cause?: unknown): never {
  throw new ConfigError(file, [{ path: FIELD, message }], { cause });
}
