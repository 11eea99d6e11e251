// Everything pki-init reads from outside, checked before a run writes anything: a bad import is
// a config error (exit 2) with no boot started, no gate touched and no file written.
import type { Config } from "../config/normalize.js";
import { type IssuingCa } from "./issuing-ca.js";

export async function checkPkiImports(config: Config, now = new Date()): Promise<void> {
  const importsCa = config.pki.ca !== "ephemeral";
  if (!importsCa && !config.services.some((s) => s.importCert !== undefined)) return;
  // The checks read extensions with @peculiar/x509: loaded only when there is something to import.
  const [{ loadImportedCa }, { loadImportedLeaf }] = await Promise.all([import("./imported-ca.js"), import("./imported-leaf.js")]);
  const ca: IssuingCa | undefined = config.pki.ca === "ephemeral" ? undefined : await loadImportedCa(config.pki.ca.import, now);
  for (const service of config.services) {
    if (service.importCert !== undefined) await loadImportedLeaf(service.name, service.importCert, ca, now);
  }
}
