// secretstore-setup's PKI part with the offline root (pki.ca.import + pki.issuer vault): Vault's
// PKI engine holds an intermediate that the operator's root signed (bootgate ca csr / ca install)
// and issues every leaf. When pki-init had to bootstrap (src/pki/offline-provision.ts), Vault's
// and PostgreSQL's leaves and ca/ca.pem move onto that intermediate here, before vault-ready. And
// once per kernel boot Vault issues the next boot's leaves for them, sealed in the state folder.
import { readFile } from "node:fs/promises";
import { X509Certificate as NodeCertificate } from "node:crypto";
import { kernelBootId } from "../gates/gate-file.js";
import { reloadReissued } from "../docker/reload-reissued.js";
import { writeFileAtomic, ensureDir } from "../fs/atomic-write.js";
import { type ServiceWrite, writeCaBundle, writeServices } from "../pki/bundle-writer.js";
import { putGatewayLeaf } from "../pki/gateway-handoff.js";
import { gatewayLeafDue } from "./gateway-leaf-due.js";
import { judgeLeafText } from "../pki/kept-leaf.js";
import { isSignedBy } from "../pki/material-checks.js";
import { loadOfflineRoot, offlineCa, offlineRootFile } from "../pki/offline-root.js";
import { bootstrapServices, type ServiceOutcome } from "../pki/provision.js";
import { type BootstrapLeaf, readSealedBootstrapLeaves, writeSealedBootstrapLeaves } from "../pki/sealed-bootstrap-leaves.js";
import { issueFor, issueThroughVault } from "../pki/vault-leaves.js";
import type { IssuingCa } from "../pki/issuing-ca.js";
import type { StageContext } from "../runner/stage.js";
import { caBundlePath, installedIntermediatePath, offlinePkiDir } from "../volume/layout.js";
import { loadIkm } from "./ikm.js";
import type { PkiEngine } from "./pki-engine.js";
import { configureForStack, MOUNT_EXTRA_MS } from "./pki-setup.js";

/** What to do when Vault holds no intermediate of the offline root yet. */
export const installHint = (rootFile: string) =>
  `run \`bootgate ca csr --out FILE\`, sign FILE with the offline root (${rootFile}; README "Offline root"), ` +
  "`bootgate ca install SIGNED`, then `bootgate run` again";

/** Vault's default issuer as the stack's CA, or an error saying how to install one. */
export async function offlineCaInVault(engine: PkiEngine, config: StageContext["config"], now: Date): Promise<IssuingCa> {
  const root = await loadOfflineRoot(config, now);
  const current = await engine.defaultIssuer();
  const intermediate = current ? new NodeCertificate(current.certPem) : undefined;
  if (!intermediate || !isSignedBy(intermediate, root)) {
    throw new Error(
      `Vault's PKI engine at ${engine.mount}/ holds no intermediate signed by the offline root ${offlineRootFile(config)}: ${installHint(offlineRootFile(config))}`,
    );
  }
  return offlineCa(root, intermediate);
}

const readOr = (path: string) => readFile(path, "utf8").catch(() => undefined);

export async function issueWithOfflineRoot(ctx: StageContext, engine: PkiEngine): Promise<string> {
  const { config } = ctx;
  const now = new Date();
  const mounted = await engine.ensureMount(config.pki.validityMs + MOUNT_EXTRA_MS);
  const ca = await offlineCaInVault(engine, config, now);
  await configureForStack(engine, config);
  // pki-init reads the intermediate from here before Vault runs: kept in step with Vault's.
  if ((await readOr(installedIntermediatePath(config.stateDir))) !== ca.chainPem) {
    await ensureDir(offlinePkiDir(config.stateDir), { mode: 0o700 });
    await writeFileAtomic(installedIntermediatePath(config.stateDir), ca.chainPem, { mode: 0o644 });
  }

  const bootstrap = config.services.filter((s) => bootstrapServices(config).has(s.name) && s.importCert === undefined);
  const issueBootstrap = async (): Promise<BootstrapLeaf[]> => {
    const leaves: BootstrapLeaf[] = [];
    for (const service of bootstrap) {
      const leaf = await issueFor(engine, service, config, ca);
      leaves.push({ service: service.name, certPem: leaf.certPem + ca.chainPem, keyPem: leaf.keyPem });
    }
    return leaves;
  };

  // pki-init bootstrapped: Vault's and PostgreSQL's leaves (and the bundle) move onto the intermediate.
  const moved: ServiceOutcome[] = [];
  let fresh: BootstrapLeaf[] | undefined;
  if ((await readOr(caBundlePath(config.secretsDir))) !== ca.bundlePem) {
    fresh = await issueBootstrap();
    const byName = new Map(config.services.map((s) => [s.name, s]));
    const writes: ServiceWrite[] = fresh.map((l) => ({
      service: byName.get(l.service)!,
      certPem: l.certPem,
      keyPem: l.keyPem,
      caPem: ca.bundlePem,
      reissue: true,
    }));
    await writeServices(config.secretsDir, writes);
    await writeCaBundle(config.secretsDir, ca.bundlePem);
    for (const l of fresh) moved.push({ service: l.service, action: "issued", reissued: true });
  }

  // The next boot's bootstrap: fresh once per kernel boot, and whenever the sealed ones would not do.
  const ikm = await loadIkm(config);
  let resealed = false;
  try {
    const sealed = await readSealedBootstrapLeaves(config.stateDir, ikm);
    const stands =
      sealed !== undefined &&
      sealed.issuedInBoot === kernelBootId() &&
      bootstrap.every((s) => {
        const l = sealed.leaves.find((x) => x.service === s.name);
        return l !== undefined && judgeLeafText(l.certPem, l.keyPem, s, ca, config.pki.keyAlgorithm, config.pki.renewBeforeMs, now).keep;
      });
    if (!stands) {
      await writeSealedBootstrapLeaves(config.stateDir, ikm, { issuedInBoot: kernelBootId(), leaves: fresh ?? (await issueBootstrap()) });
      resealed = true;
    }
  } finally {
    ikm.fill(0);
  }

  // As with a per-boot root: a gateway leaf due for renewal is issued now, not at the next boot.
  const gateway = moved.length > 0 || resealed || (await gatewayLeafDue(config, now));
  const leaves = await issueThroughVault(engine, config, ca, { gateway, now });
  if (leaves.gatewayLeaf) putGatewayLeaf(ctx.handoff, leaves.gatewayLeaf);
  const reloaded = await reloadReissued(config, [...moved, ...leaves.services], { log: (line) => ctx.log.info(line), signal: ctx.signal });
  const count = (action: string) => leaves.services.filter((s) => s.action === action).length;
  return [
    ...(mounted ? [`enabled ${engine.mount}/`] : []),
    ...(moved.length > 0 ? [`moved ${moved.map((m) => m.service).join(", ")} onto the offline root's intermediate`] : []),
    `${count("issued") + count("handed-over")} certificates issued by Vault, ${count("kept")} kept`,
    ...(resealed ? ["sealed the next boot's bootstrap leaves"] : []),
    ...(reloaded.length > 0 ? [`signalled ${reloaded.length} container(s)`] : []),
  ].join(", ");
}
