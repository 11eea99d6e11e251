// `bootgate revoke <service>`'s work (pki.issuer: vault): a new leaf from Vault's PKI engine is
// written first, then the old one is revoked — the service is never left holding only a revoked
// certificate — and the caller sends the service its reload.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { UsageError } from "../errors.js";
import type { PkiEngine } from "../vault/pki-engine.js";
import { servicePath } from "../volume/layout.js";
import { writeServices } from "./bundle-writer.js";
import type { IssuingCa } from "./issuing-ca.js";
import { expectedSans } from "./leaf-issue.js";
import { gatewayServiceOf, type ServiceOutcome } from "./provision.js";

export interface Revoked {
  oldSerial: string;
  outcome: ServiceOutcome;
}

export async function revokeAndReissue(engine: PkiEngine, config: Config, name: string, ca: IssuingCa): Promise<Revoked> {
  const service = config.services.find((s) => s.name === name);
  if (!service) throw new UsageError(`Expected a service of the config (${config.source}: services), got \`${name}\``);
  if (service === gatewayServiceOf(config))
    throw new UsageError(`\`${name}\` is the gateway: its certificate lives in Vault (gateway-cert), not on the volume`);
  if (service.importCert) throw new UsageError(`\`${name}\` uses an imported certificate (services.${name}.importCert): bootgate did not issue it`);
  const certFile = servicePath(config.secretsDir, name, "cert");
  let oldPem: string;
  try {
    oldPem = await readFile(certFile, "utf8");
  } catch (error) {
    throw new Error(`no certificate at ${certFile} to revoke (${(error as NodeJS.ErrnoException).code ?? "unreadable"})`, { cause: error });
  }
  const old = new X509Certificate(oldPem);
  const sans = expectedSans(service);
  const leaf = await engine.issue(name, {
    commonName: name,
    altNames: sans.filter((n) => n.type === "dns").map((n) => n.value),
    ipSans: sans.filter((n) => n.type === "ip").map((n) => n.value),
    ttlMs: config.pki.validityMs,
  });
  if (leaf.issuingCaPem.trim() !== ca.chainPem.trim())
    throw new Error(`Vault's PKI engine at ${engine.mount}/ no longer issues with this boot's intermediate (ca/ca.pem)`);
  await writeServices(config.secretsDir, [{ service, certPem: leaf.certPem + ca.chainPem, keyPem: leaf.keyPem, caPem: ca.bundlePem, reissue: true }]);
  await engine.revoke(oldPem);
  return {
    oldSerial: old.serialNumber.toLowerCase(),
    outcome: { service: name, action: "issued", serial: leaf.serial, notAfter: leaf.notAfter, reissued: true },
  };
}
