// pki-init's work, in an order that writes nothing until everything is known good:
// 1. load and check imported material (CA, imported leaves): a ConfigError here writes nothing;
// 2. decide the CA: imported, this boot's ephemeral one (found again on the volume), or new;
// 3. decide per service: keep its leaf, issue a new one, use its imported one, or (the gateway)
//    issue in memory for the handoff;
// 4. issue concurrently, then write every folder.
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { kernelBootId as currentKernelBootId } from "../gates/gate-file.js";
import { type ServiceWrite, writeCaBundle, writeServices } from "./bundle-writer.js";
import { bootgateLeafWrite } from "./bootgate-leaf.js";
import { createEphemeralCa } from "./ephemeral-ca.js";
import type { GatewayLeaf } from "./gateway-handoff.js";
import { checkPkiImports, type PkiImports } from "./preflight.js";
import type { IssuingCa } from "./issuing-ca.js";
import type { PendingIntermediate } from "./pending-intermediate.js";
import { judgeExistingLeaf } from "./kept-leaf.js";
import { findThisBootsCa } from "./this-boot-ca.js";
import { type IssuedLeaf, issueLeaves } from "./leaf-issue.js";
import { caBundlePath, SERVICE_FILES, serviceDir } from "../volume/layout.js";

export interface ProvisionOptions {
  now?: Date;
  kernelBootId?: string | undefined;
  log?: (line: string) => void;
  /** What pki-init's preflight loaded; loaded here when absent. */
  imports?: PkiImports;
  /**
   * A new CA with pki.issuer `vault`: called with its intermediate before anything is written, so
   * a crash never leaves a bundle on the volume whose intermediate Vault can no longer get.
   */
  onNewIntermediate?: (pending: PendingIntermediate) => Promise<void>;
}

export interface ServiceOutcome {
  service: string;
  /** `vault`: left to Vault's PKI engine (pki.issuer: vault), issued in secretstore-setup. */
  action: "issued" | "kept" | "imported" | "handed-over" | "in-vault" | "vault";
  serial?: string;
  notAfter?: Date;
  /**
   * Issued in place of a leaf this boot's CA had issued (still on the volume): the service may be
   * running on the old one and needs a reload. Never set on a boot's first issue.
   */
  reissued?: boolean;
}

export interface ProvisionResult {
  ca: { mode: IssuingCa["mode"]; renewed: boolean; subject: string };
  services: ServiceOutcome[];
  gatewayLeaf?: GatewayLeaf;
  /** A new CA with pki.issuer `vault`: the intermediate and its key, for Vault's PKI engine. */
  intermediate?: PendingIntermediate;
  summary: string;
}

/**
 * With pki.issuer `vault`, what pki-init still issues itself: what must be on disk at pki-ready,
 * before Vault runs (Vault's listener — every raft node's, in a cluster —, PostgreSQL's server certificate).
 */
export function bootstrapServices(config: Config): Set<string> {
  return new Set([config.vault.service, ...config.vault.cluster.names, config.postgres.service]);
}

/** A leaf whose CA is this boot's and that a server can go on using until Vault reissues it. */
const stillServes = (v: { reason: string; stillValid?: boolean }) =>
  v.reason === "names changed" || v.reason === "key algorithm changed" || (v.reason === "due for renewal" && v.stillValid === true);

/** The service whose key goes to Vault through the handoff, never to the volume (issue #6). */
export function gatewayServiceOf(config: Config): ServiceConfig | undefined {
  if (config.gateway.routes === undefined) return undefined;
  return config.services.find((s) => s.name === config.gateway.service);
}

export async function provisionPki(config: Config, options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const now = options.now ?? new Date();
  const log = options.log ?? (() => {});
  const bootKey = "kernelBootId" in options ? options.kernelBootId : currentKernelBootId();
  const { keyAlgorithm, validityMs, renewBeforeMs } = config.pki;
  const byVault = config.pki.issuer === "vault";
  const gateway = gatewayServiceOf(config);
  const bootstrap = bootstrapServices(config);

  // 1. Imported material, all of it checked before anything else happens.
  const { ca: importedCa, leaves: imported } = options.imports ?? (await checkPkiImports(config, now));
  let ca: IssuingCa | undefined = importedCa;

  // 2. In ephemeral mode, this boot's CA if a previous run left it; its key is gone.
  const bundleFile = caBundlePath(config.secretsDir);
  let renewed = false;
  if (!ca) ca = await findThisBootsCa(bundleFile, bootKey, now);

  // 3. Which leaves stay.
  // A remote service gets its leaf by enrolling (docs/enroll.md): no folder here.
  const notImported = config.services.filter((s) => !imported.has(s.name) && s !== gateway && !s.remote);
  const onVolume = byVault ? notImported.filter((s) => bootstrap.has(s.name)) : notImported;
  const leftToVault = byVault ? notImported.filter((s) => !bootstrap.has(s.name)) : [];
  const kept = new Map<string, Extract<Awaited<ReturnType<typeof judgeExistingLeaf>>, { keep: true }>>();
  // Leaves of this boot already on the volume (kept or not): replacing one is a reissue.
  const hadLeaf = new Set<string>();
  // pki.issuer vault, a rerun: Vault's or PostgreSQL's leaf that must be reissued but still
  // serves (names, key algorithm or renewal changed) stays until secretstore-setup has Vault's
  // PKI engine, which holds this boot's intermediate, issue its successor (vault-leaves.ts): no new CA.
  const toVaultLater = new Set<string>();
  if (ca) {
    const verdicts = await Promise.all(onVolume.map((s) => judgeExistingLeaf(serviceDir(config.secretsDir, s.name), s, ca!, keyAlgorithm, renewBeforeMs, now)));
    verdicts.forEach((v, i) => {
      if (v.keep) kept.set(onVolume[i]!.name, v);
      if (v.keep || v.reason !== "missing files") hadLeaf.add(onVolume[i]!.name);
      if (!v.keep && byVault && !ca!.signer && stillServes(v)) toVaultLater.add(onVolume[i]!.name);
    });
  }
  if (!ca || (!ca.signer && kept.size + toVaultLater.size < onVolume.length)) {
    // An ephemeral CA whose key is gone cannot issue the missing leaves: a new CA, and so new
    // leaves for everyone (the old ones would not chain to the new bundle). With the offline root
    // this is the bootstrap CA (src/pki/offline-provision.ts): its key goes nowhere.
    if (ca) log(`renewing this boot's CA: ${onVolume.length - kept.size} certificate(s) must be reissued`);
    ca = await createEphemeralCa({
      algorithm: keyAlgorithm,
      validityMs,
      now,
      kernelBootId: bootKey,
      exportIntermediateKey: byVault && config.pki.ca === "ephemeral",
    });
    kept.clear();
    toVaultLater.clear();
    renewed = true;
  }
  const currentCa = ca;

  // 4. Issue what is missing (keys generated concurrently), then write.
  const toIssue = onVolume.filter((s) => !kept.has(s.name) && !toVaultLater.has(s.name));
  // With Vault as the issuer the gateway's leaf comes from Vault too (secretstore-setup hands it over).
  const gatewayIssues = gateway !== undefined && !byVault && !imported.has(gateway.name) && currentCa.signer !== undefined;
  const requests = [...toIssue, ...(gatewayIssues ? [gateway] : [])].map((service) => ({ service, algorithm: keyAlgorithm, validityMs, now }));
  const leaves = await issueLeaves(currentCa, requests);
  const gatewayIssued = gatewayIssues ? leaves.pop() : undefined;
  const issued = leaves;

  const byName = new Map(config.services.map((s) => [s.name, s]));
  const writes: ServiceWrite[] = [];
  const outcomes: ServiceOutcome[] = [];
  const bundle = currentCa.bundlePem;
  for (const leaf of issued) {
    const service = byName.get(leaf.service)!;
    const reissue = hadLeaf.has(leaf.service);
    writes.push({ service, certPem: leaf.certPem + currentCa.chainPem, keyPem: leaf.keyPem, caPem: bundle, ...(reissue ? { reissue } : {}) });
    outcomes.push({
      service: leaf.service,
      action: "issued",
      serial: leaf.serial,
      notAfter: leaf.notAfter,
      ...(reissue ? { reissued: true } : {}),
    });
  }
  for (const [name, k] of kept) {
    const service = byName.get(name)!;
    if (!k.modesCurrent) writes.push({ service, certPem: k.certPem, keyPem: k.keyPem, caPem: bundle });
    else if (!k.caCopyCurrent) writes.push({ service, caPem: bundle });
    outcomes.push({ service: name, action: "kept", serial: k.serial, notAfter: k.notAfter });
  }
  for (const service of leftToVault) outcomes.push({ service: service.name, action: "vault" });
  for (const name of toVaultLater) {
    log(`${name}'s certificate must be reissued: it stays until Vault's PKI engine issues the next one (secretstore-setup)`);
    outcomes.push({ service: name, action: "vault" });
  }
  let gatewayLeaf: GatewayLeaf | undefined;
  for (const leaf of imported.values()) {
    const service = byName.get(leaf.service)!;
    if (service === gateway) {
      gatewayLeaf = toGatewayLeaf(leaf, "imported", bundle);
      writes.push({ service, caPem: bundle, remove: [SERVICE_FILES.cert, SERVICE_FILES.key] });
      outcomes.push({ service: leaf.service, action: "handed-over", serial: leaf.serial, notAfter: leaf.notAfter });
    } else {
      writes.push({ service, certPem: leaf.certPem + leaf.chainPem, keyPem: leaf.keyPem, caPem: bundle });
      outcomes.push({ service: leaf.service, action: "imported", serial: leaf.serial, notAfter: leaf.notAfter });
    }
  }
  if (gateway && !imported.has(gateway.name) && byVault) {
    outcomes.push({ service: gateway.name, action: "vault" });
  } else if (gateway && !imported.has(gateway.name)) {
    writes.push({ service: gateway, caPem: bundle, remove: [SERVICE_FILES.cert, SERVICE_FILES.key] });
    if (gatewayIssued) {
      gatewayLeaf = toGatewayLeaf({ ...gatewayIssued, chainPem: currentCa.chainPem }, "issued", bundle);
      outcomes.push({ service: gateway.name, action: "handed-over", serial: gatewayIssued.serial, notAfter: gatewayIssued.notAfter });
    } else {
      outcomes.push({ service: gateway.name, action: "in-vault" });
    }
  }

  const intermediate: PendingIntermediate | undefined = currentCa.intermediateKeyPem
    ? { certPem: currentCa.chainPem, keyPem: currentCa.intermediateKeyPem, rootPem: bundle.slice(0, bundle.length - currentCa.chainPem.length) }
    : undefined;
  if (intermediate) await options.onNewIntermediate?.(intermediate);
  // bootgate's own leaf (the agent's listener), beside the services' and not counted among them.
  const own = await bootgateLeafWrite(config, currentCa, now);
  await writeCaBundle(config.secretsDir, bundle);
  await writeServices(config.secretsDir, own ? [...writes, own] : writes);

  const count = (a: ServiceOutcome["action"]) => outcomes.filter((o) => o.action === a).length;
  const parts = [`issued ${count("issued") + count("handed-over") - (gatewayLeaf?.source === "imported" ? 1 : 0)}`, `kept ${count("kept")}`];
  if (imported.size > 0) parts.push(`imported ${imported.size}`);
  if (count("vault") > 0) parts.push(`${count("vault")} left to Vault`);
  const caWord = currentCa.mode === "imported" ? "imported CA" : renewed ? "new ephemeral CA" : "this boot's CA";
  return {
    ca: { mode: currentCa.mode, renewed, subject: currentCa.intermediate.subject.replace(/\n/g, ", ") },
    services: outcomes,
    ...(gatewayLeaf ? { gatewayLeaf } : {}),
    ...(intermediate ? { intermediate } : {}),
    summary: `${parts.join(", ")}; ${caWord}`,
  };
}

function toGatewayLeaf(
  leaf: Pick<IssuedLeaf, "service" | "certPem" | "keyPem" | "serial" | "notAfter"> & { chainPem: string },
  source: GatewayLeaf["source"],
  caPem: string,
): GatewayLeaf {
  return {
    service: leaf.service,
    certPem: leaf.certPem,
    keyPem: leaf.keyPem,
    chainPem: leaf.chainPem,
    caPem,
    source,
    serial: leaf.serial,
    notAfter: leaf.notAfter,
  };
}
