// After validation: every relative path resolves against the config file's folder, so a
// config means the same thing whatever folder bootgate was started from.
import { isAbsolute, resolve } from "node:path";
import type { ParsedConfig } from "./schema.js";

export interface Config extends ParsedConfig {
  /** The file the config came from, or `<embedded default>`. */
  source: string;
}

export function normalizeConfig(parsed: ParsedConfig, baseDir: string, source: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const absOpt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const { pki, vault, postgres, gateway } = parsed;
  return {
    ...parsed,
    source,
    secretsDir: abs(parsed.secretsDir),
    stateDir: abs(parsed.stateDir),
    pki: { ...pki, ca: pki.ca === "ephemeral" ? pki.ca : { import: abs(pki.ca.import) } },
    services: parsed.services.map((s) => ({ ...s, importCert: absOpt(s.importCert) })),
    vault: { ...vault, ikm: vault.ikm && "file" in vault.ikm ? { file: abs(vault.ikm.file) } : vault.ikm },
    postgres: { ...postgres, admin: { ...postgres.admin, passwordFile: absOpt(postgres.admin.passwordFile) } },
    gateway: {
      ...gateway,
      routes: absOpt(gateway.routes),
      importCert: absOpt(gateway.importCert),
      nginx: { ...gateway.nginx, configDir: absOpt(gateway.nginx.configDir), runtimeDir: absOpt(gateway.nginx.runtimeDir) },
      kong: { ...gateway.kong, configDir: absOpt(gateway.kong.configDir) },
    },
  };
}
