// The leaves Vault's PKI engine issues (pki.issuer: vault): every service's but those pki-init
// issued before Vault ran (Vault's, PostgreSQL's) and imported ones. A leaf this boot's CA issued
// that can stay (kept-leaf.ts) stays; the rest are issued through `<pkiMount>/issue/<service>`
// and written in the volume's usual layout. The gateway's leaf is issued in memory only, and only
// when Vault took a new intermediate this run (as pki-init did before: a kept CA keeps Vault's copy).
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { mapLimit } from "../util/map-limit.js";
import type { PkiEngine, VaultLeaf } from "../vault/pki-engine.js";
import { SERVICE_FILES, serviceDir } from "../volume/layout.js";
import { type ServiceWrite, writeServices } from "./bundle-writer.js";
import type { GatewayLeaf } from "./gateway-handoff.js";
import type { IssuingCa } from "./issuing-ca.js";
import { judgeExistingLeaf } from "./kept-leaf.js";
import { expectedSans } from "./leaf-issue.js";
import { bootstrapServices, gatewayServiceOf, type ServiceOutcome } from "./provision.js";

const CONCURRENCY = 8;

export interface VaultLeavesResult {
  services: ServiceOutcome[];
  gatewayLeaf?: GatewayLeaf;
}

export async function issueFor(engine: PkiEngine, service: ServiceConfig, config: Config, ca: IssuingCa): Promise<VaultLeaf> {
  const sans = expectedSans(service);
  const leaf = await engine.issue(service.name, {
    commonName: service.name,
    altNames: sans.filter((n) => n.type === "dns").map((n) => n.value),
    ipSans: sans.filter((n) => n.type === "ip").map((n) => n.value),
    ttlMs: config.pki.validityMs,
  });
  if (leaf.issuingCaPem.trim() !== ca.chainPem.trim()) {
    throw new Error(
      `Vault's PKI engine at ${engine.mount}/ issued ${service.name}'s certificate with another issuer than this boot's intermediate (ca/ca.pem)`,
    );
  }
  return leaf;
}

export async function issueThroughVault(
  engine: PkiEngine,
  config: Config,
  ca: IssuingCa,
  options: { gateway: boolean; now?: Date },
): Promise<VaultLeavesResult> {
  const now = options.now ?? new Date();
  const bootstrap = bootstrapServices(config);
  const gateway = gatewayServiceOf(config);
  const mine = config.services.filter((s) => !bootstrap.has(s.name) && s.importCert === undefined && s !== gateway && !s.remote);
  // Vault's and PostgreSQL's own leaves come from pki-init; one that a rerun found due (names,
  // key algorithm, renewal) was left standing for Vault to reissue here with the same intermediate.
  const bootstrapDue: ServiceConfig[] = [];
  for (const service of config.services.filter((s) => bootstrap.has(s.name) && s.importCert === undefined)) {
    const verdict = await judgeExistingLeaf(serviceDir(config.secretsDir, service.name), service, ca, config.pki.keyAlgorithm, config.pki.renewBeforeMs, now);
    if (!verdict.keep && verdict.reason !== "missing files") bootstrapDue.push(service);
  }
  const bundle = ca.bundlePem;
  const writes: ServiceWrite[] = [];
  const services: ServiceOutcome[] = [];
  await mapLimit([...mine, ...bootstrapDue], CONCURRENCY, async (service) => {
    const dir = serviceDir(config.secretsDir, service.name);
    const verdict = await judgeExistingLeaf(dir, service, ca, config.pki.keyAlgorithm, config.pki.renewBeforeMs, now);
    if (verdict.keep) {
      if (!verdict.modesCurrent) writes.push({ service, certPem: verdict.certPem, keyPem: verdict.keyPem, caPem: bundle });
      else if (!verdict.caCopyCurrent) writes.push({ service, caPem: bundle });
      services.push({ service: service.name, action: "kept", serial: verdict.serial, notAfter: verdict.notAfter });
      return;
    }
    const leaf = await issueFor(engine, service, config, ca);
    const reissue = verdict.reason !== "missing files";
    writes.push({ service, certPem: leaf.certPem + ca.chainPem, keyPem: leaf.keyPem, caPem: bundle, ...(reissue ? { reissue } : {}) });
    services.push({
      service: service.name,
      action: "issued",
      serial: leaf.serial,
      notAfter: leaf.notAfter,
      ...(reissue ? { reissued: true } : {}),
    });
  });
  let gatewayLeaf: GatewayLeaf | undefined;
  if (gateway && gateway.importCert === undefined) {
    // Its folder gets the bundle only; a key there from an earlier config goes.
    writes.push({ service: gateway, caPem: bundle, remove: [SERVICE_FILES.cert, SERVICE_FILES.key] });
    if (options.gateway) {
      const leaf = await issueFor(engine, gateway, config, ca);
      gatewayLeaf = {
        service: gateway.name,
        certPem: leaf.certPem,
        keyPem: leaf.keyPem,
        chainPem: ca.chainPem,
        caPem: bundle,
        source: "issued",
        serial: leaf.serial,
        notAfter: leaf.notAfter,
      };
      services.push({ service: gateway.name, action: "handed-over", serial: leaf.serial, notAfter: leaf.notAfter });
    } else {
      services.push({ service: gateway.name, action: "in-vault" });
    }
  }
  await writeServices(config.secretsDir, writes);
  return { services, ...(gatewayLeaf ? { gatewayLeaf } : {}) };
}
