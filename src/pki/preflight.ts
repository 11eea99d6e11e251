// Everything pki-init reads from outside, checked before a run writes anything: a bad import is
// a config error (exit 2) with no boot started, no gate touched and no file written.
import type { Config } from "../config/normalize.js";
import { type IssuingCa } from "./issuing-ca.js";
import { loadImportedCa } from "./imported-ca.js";
import { loadImportedLeaf } from "./imported-leaf.js";

export async function checkPkiImports(config: Config, now = new Date()): Promise<void> {
  const ca: IssuingCa | undefined = config.pki.ca === "ephemeral" ? undefined : await loadImportedCa(config.pki.ca.import, now);
  for (const service of config.services) {
    if (service.importCert !== undefined) await loadImportedLeaf(service.name, service.importCert, ca, now);
  }
}
