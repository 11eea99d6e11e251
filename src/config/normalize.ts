// After validation: every relative path resolves against the config file's folder, so a
// config means the same thing whatever folder bootgate was started from; and every duration is
// named for its unit (`vault.waitTimeout: 60s` in YAML is `vault.waitTimeoutMs: 60000` here), so
// code never guesses what a number means. The YAML keys stay as users write them.
import { isAbsolute, resolve } from "node:path";
import type { ParsedConfig } from "./schema.js";
import { defaultRenewBeforeMs } from "./sections/pki.js";

/** `T` with the duration fields `K` renamed `<name>Ms`. */
type InMs<T, K extends keyof T & string> = Omit<T, K> & { [P in K as `${P}Ms`]: number };

type Parsed<K extends keyof ParsedConfig> = ParsedConfig[K];
type GatewayConfig = Omit<Parsed<"gateway">, "nginx" | "kong" | "jwt"> & {
  nginx: InMs<Parsed<"gateway">["nginx"], "reloadTimeout">;
  kong: InMs<Parsed<"gateway">["kong"], "reloadTimeout">;
  jwt: InMs<Parsed<"gateway">["jwt"], "ttl">;
};

export interface Config extends Omit<ParsedConfig, "pki" | "vault" | "postgres" | "gateway" | "docker" | "stages"> {
  /** The file the config came from, or `<embedded default>`. */
  source: string;
  pki: Omit<Parsed<"pki">, "validity" | "renewBefore"> & { validityMs: number; renewBeforeMs: number };
  vault: InMs<Parsed<"vault">, "tokenPeriod" | "waitTimeout">;
  postgres: InMs<Parsed<"postgres">, "waitTimeout">;
  gateway: GatewayConfig;
  docker: InMs<Parsed<"docker">, "timeout">;
  stages: Record<string, { timeoutMs?: number; retries?: number }>;
}

export function normalizeConfig(parsed: ParsedConfig, baseDir: string, source: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const absOpt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const { validity, renewBefore, ...pki } = parsed.pki;
  const { tokenPeriod, waitTimeout: vaultWait, ...vault } = parsed.vault;
  const { waitTimeout: postgresWait, ...postgres } = parsed.postgres;
  const { timeout: dockerTimeout, ...docker } = parsed.docker;
  const { nginx, kong, jwt, ...gateway } = parsed.gateway;
  const { reloadTimeout: nginxReload, ...nginxRest } = nginx;
  const { reloadTimeout: kongReload, ...kongRest } = kong;
  const { ttl, ...jwtRest } = jwt;
  return {
    ...parsed,
    source,
    secretsDir: abs(parsed.secretsDir),
    stateDir: abs(parsed.stateDir),
    pki: {
      ...pki,
      ca: pki.ca === "ephemeral" ? pki.ca : { import: abs(pki.ca.import) },
      validityMs: validity,
      renewBeforeMs: renewBefore ?? defaultRenewBeforeMs(validity),
    },
    services: parsed.services.map((s) => ({ ...s, importCert: absOpt(s.importCert) })),
    vault: {
      ...vault,
      ikm: vault.ikm && "file" in vault.ikm ? { file: abs(vault.ikm.file) } : vault.ikm,
      tokenPeriodMs: tokenPeriod,
      waitTimeoutMs: vaultWait,
    },
    postgres: { ...postgres, admin: { ...postgres.admin, passwordFile: absOpt(postgres.admin.passwordFile) }, waitTimeoutMs: postgresWait },
    gateway: {
      ...gateway,
      routes: absOpt(gateway.routes),
      importCert: absOpt(gateway.importCert),
      nginx: { ...nginxRest, configDir: absOpt(nginx.configDir), runtimeDir: absOpt(nginx.runtimeDir), reloadTimeoutMs: nginxReload },
      kong: { ...kongRest, configDir: absOpt(kong.configDir), reloadTimeoutMs: kongReload },
      jwt: { ...jwtRest, ttlMs: ttl },
    },
    docker: { ...docker, timeoutMs: dockerTimeout },
    stages: Object.fromEntries(
      Object.entries(parsed.stages).map(([name, { timeout, ...settings }]) => [
        name,
        { ...settings, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) },
      ]),
    ),
  };
}
