// bootgate's own leaf, for the agent's HTTPS listener (/metrics, /healthz): kept or issued by
// pki-init like a service's, into bootgate's folder (`<secretsDir>/bootgate/cert.pem`, `key.pem`,
// root's, 0700), but not counted among the services. Its name is `bootgate`; a scraper verifies
// it against ca/ca.pem.
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { BOOTGATE_DIR, bootgateDir } from "../volume/layout.js";
import type { ServiceWrite } from "./bundle-writer.js";
import type { IssuingCa } from "./issuing-ca.js";
import { judgeExistingLeaf } from "./kept-leaf.js";
import { issueLeaves } from "./leaf-issue.js";

export const BOOTGATE_LEAF: ServiceConfig = { name: BOOTGATE_DIR, dns: [], ip: [], groupReadKey: false, remote: false, uid: 0 };

/** What to write for bootgate's leaf this run: nothing when the one on the volume stays (or the CA cannot issue). */
export async function bootgateLeafWrite(config: Config, ca: IssuingCa, now: Date): Promise<ServiceWrite | undefined> {
  const { keyAlgorithm, validityMs, renewBeforeMs } = config.pki;
  const verdict = await judgeExistingLeaf(bootgateDir(config.secretsDir), BOOTGATE_LEAF, ca, keyAlgorithm, renewBeforeMs, now);
  if (verdict.keep || !ca.signer) return undefined;
  const [leaf] = await issueLeaves(ca, [{ service: BOOTGATE_LEAF, algorithm: keyAlgorithm, validityMs, now }]);
  return { service: BOOTGATE_LEAF, certPem: leaf!.certPem + ca.chainPem, keyPem: leaf!.keyPem };
}
