// Everything pki-init reads from outside, checked before a run writes anything: a bad import is
// a config error (exit 2) with no boot started, no gate touched and no file written. What it
// loaded is handed to provisionPki, so nothing is read twice.
import type { Config } from "../config/normalize.js";
import { type IssuingCa } from "./issuing-ca.js";
import type { ImportedLeaf } from "./imported-leaf.js";
import { usesOfflineRoot } from "./offline-mode.js";

export interface PkiImports {
  /** The imported CA; undefined in ephemeral mode. */
  ca: IssuingCa | undefined;
  /** Each service's imported leaf (`importCert`), by service name. */
  leaves: Map<string, ImportedLeaf>;
}

export async function checkPkiImports(config: Config, now = new Date()): Promise<PkiImports> {
  const leaves = new Map<string, ImportedLeaf>();
  // The offline root (pki.issuer vault): only root.pem is here, checked now; Vault holds the intermediate.
  const offline = usesOfflineRoot(config);
  if (offline) await (await import("./offline-root.js")).loadOfflineRoot(config, now);
  const importsCa = config.pki.ca !== "ephemeral" && !offline;
  if (!importsCa && !config.services.some((s) => s.importCert !== undefined)) return { ca: undefined, leaves };
  // The checks read extensions with @peculiar/x509: loaded only when there is something to import.
  const [{ loadImportedCa }, { loadImportedLeaf }] = await Promise.all([import("./imported-ca.js"), import("./imported-leaf.js")]);
  const ca: IssuingCa | undefined = config.pki.ca === "ephemeral" || offline ? undefined : await loadImportedCa(config.pki.ca.import, now);
  for (const service of config.services) {
    // gateway.importCert is gateway-cert's own (the certificate served to clients): the gateway
    // still gets a stack leaf from pki-init, for mutual TLS with the services.
    if (service.importCert !== undefined) leaves.set(service.name, await loadImportedLeaf(service.name, service.importCert, ca, now));
  }
  return { ca, leaves };
}
