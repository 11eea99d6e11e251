// Whether the config uses the offline root: pki.ca.import with Vault as the issuer, so only the
// root's certificate is imported and Vault generates the intermediate's key (bootgate ca csr).
// Apart from offline-root.ts so that deciding it loads no certificate library.
import type { Config } from "../config/normalize.js";

export const usesOfflineRoot = (config: Pick<Config, "pki">): boolean => config.pki.ca !== "ephemeral" && config.pki.issuer === "vault";
