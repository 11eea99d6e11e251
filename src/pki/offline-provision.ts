// pki-init with the offline root (pki.ca.import + pki.issuer vault). Vault's intermediate signs
// every leaf, but Vault does not run yet, and its key never leaves it. So:
// - once an intermediate is installed (`bootgate ca install`), the leaves Vault's listener and
//   PostgreSQL need at pki-ready are the ones the previous boot's secretstore-setup had Vault
//   issue for this boot and sealed in the state folder (sealed-bootstrap-leaves.ts); ca/ca.pem is
//   the root and that intermediate, and nothing is reissued when Vault takes over;
// - before that (the very first boot, or the sealed leaves lost or no longer what the config
//   asks), a bootstrap CA of this boot issues them, as in ephemeral mode but with no key handed
//   anywhere; secretstore-setup then moves both onto Vault-issued leaves and ca/ca.pem onto the
//   offline root before vault-ready (their `reload` is sent).
import type { Config } from "../config/normalize.js";
import { type ServiceWrite, writeCaBundle, writeServices } from "./bundle-writer.js";
import { judgeExistingLeaf, judgeLeafText } from "./kept-leaf.js";
import { loadInstalledIntermediate, loadOfflineRoot, offlineCa } from "./offline-root.js";
import { bootstrapServices, gatewayServiceOf, provisionPki, type ProvisionOptions, type ProvisionResult, type ServiceOutcome } from "./provision.js";
import { readSealedBootstrapLeaves } from "./sealed-bootstrap-leaves.js";
import type { ImportedLeaf } from "./imported-leaf.js";
import { serviceDir } from "../volume/layout.js";

export async function provisionWithOfflineRoot(config: Config, ikm: Buffer, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const now = options.now ?? new Date();
  const log = options.log ?? (() => {});
  const fromVault = await fromInstalledIntermediate(config, ikm, now, options.imports?.leaves ?? new Map());
  if (fromVault) return fromVault;
  log("no Vault-issued leaves for Vault and PostgreSQL yet: a bootstrap CA of this boot issues them, secretstore-setup moves them onto the offline root");
  const result = await provisionPki(config, options);
  return { ...result, summary: `${result.summary} (bootstrap until Vault's intermediate takes over)` };
}

async function fromInstalledIntermediate(
  config: Config,
  ikm: Buffer,
  now: Date,
  imported: ReadonlyMap<string, ImportedLeaf>,
): Promise<ProvisionResult | undefined> {
  const root = await loadOfflineRoot(config, now);
  const intermediate = await loadInstalledIntermediate(config, root, now);
  if (!intermediate) return undefined;
  const ca = offlineCa(root, intermediate);
  const sealed = await readSealedBootstrapLeaves(config.stateDir, ikm);
  const bootstrap = bootstrapServices(config);
  const gateway = gatewayServiceOf(config);
  const { keyAlgorithm, renewBeforeMs } = config.pki;
  const writes: ServiceWrite[] = [];
  const outcomes: ServiceOutcome[] = [];
  for (const service of config.services) {
    const importedLeaf = imported.get(service.name);
    if (importedLeaf && service !== gateway) {
      writes.push({ service, certPem: importedLeaf.certPem + importedLeaf.chainPem, keyPem: importedLeaf.keyPem, caPem: ca.bundlePem });
      outcomes.push({ service: service.name, action: "imported", serial: importedLeaf.serial, notAfter: importedLeaf.notAfter });
      continue;
    }
    if (!bootstrap.has(service.name) || service === gateway) {
      // Vault issues the rest in secretstore-setup (the gateway's in memory).
      outcomes.push({ service: service.name, action: "vault" });
      continue;
    }
    const verdict = await judgeExistingLeaf(serviceDir(config.secretsDir, service.name), service, ca, keyAlgorithm, renewBeforeMs, now);
    if (verdict.keep) {
      if (!verdict.modesCurrent) writes.push({ service, certPem: verdict.certPem, keyPem: verdict.keyPem, caPem: ca.bundlePem });
      else if (!verdict.caCopyCurrent) writes.push({ service, caPem: ca.bundlePem });
      outcomes.push({ service: service.name, action: "kept", serial: verdict.serial, notAfter: verdict.notAfter });
      continue;
    }
    const leaf = sealed?.leaves.find((l) => l.service === service.name);
    const usable = leaf && judgeLeafText(leaf.certPem, leaf.keyPem, service, ca, keyAlgorithm, renewBeforeMs, now);
    if (!leaf || !usable || !usable.keep) return undefined;
    const reissue = verdict.reason !== "missing files";
    writes.push({ service, certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.bundlePem, ...(reissue ? { reissue } : {}) });
    outcomes.push({
      service: service.name,
      action: "issued",
      serial: usable.serial,
      notAfter: usable.notAfter,
      ...(reissue ? { reissued: true } : {}),
    });
  }
  await writeCaBundle(config.secretsDir, ca.bundlePem);
  await writeServices(config.secretsDir, writes);
  const count = (a: ServiceOutcome["action"]) => outcomes.filter((o) => o.action === a).length;
  return {
    ca: { mode: "imported", renewed: false, subject: intermediate.subject.replace(/\n/g, ", ") },
    services: outcomes,
    summary: `issued 0, kept ${count("kept")}, ${count("issued")} from Vault's sealed bootstrap leaves, ${count("vault")} left to Vault; offline root's intermediate (in Vault)`,
  };
}
