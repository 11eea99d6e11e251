// After validation: every relative path resolves against the config file's folder, so a
// config means the same thing whatever folder bootgate was started from; and every duration is
// named for its unit (`vault.waitTimeout: 60s` in YAML is `vault.waitTimeoutMs: 60000` here), so
// code never guesses what a number means. The YAML keys stay as users write them.
import { isAbsolute, resolve } from "node:path";
import { clusterAddresses } from "./cluster-addresses.js";
import { withClusterNodes } from "./cluster-services.js";
import type { ParsedConfig } from "./schema.js";
import { defaultRenewBeforeMs } from "./sections/pki.js";

/** `T` with the duration fields `K` renamed `<name>Ms`. */
type InMs<T, K extends keyof T & string> = Omit<T, K> & { [P in K as `${P}Ms`]: number };

type Parsed<K extends keyof ParsedConfig> = ParsedConfig[K];
type GatewayConfig = Omit<Parsed<"gateway">, "nginx" | "kong" | "jwt"> & {
  nginx: InMs<Parsed<"gateway">["nginx"], "reloadTimeout">;
  kong: InMs<Parsed<"gateway">["kong"], "reloadTimeout">;
  jwt: InMs<Parsed<"gateway">["jwt"], "ttl" | "rotate">;
};

export interface Config extends Omit<ParsedConfig, "pki" | "vault" | "postgres" | "gateway" | "docker" | "stages"> {
  /** The file the config came from, or `<embedded default>`. */
  source: string;
  pki: Omit<InMs<Parsed<"pki">, "validity" | "renewBefore">, "issuer"> & { issuer: "vault" | "local" };
  vault: Omit<InMs<Parsed<"vault">, "tokenPeriod" | "waitTimeout">, "snapshots" | "cluster"> & {
    /** `addresses`: every node's API address (src/config/cluster-addresses.ts); empty for one node. */
    cluster: { nodes: number; names: string[]; addresses: string[] };
    /** `dir` resolved (default `<stateDir>/snapshots`), `every` in ms when set. */
    snapshots: { everyMs?: number; keep: number; dir: string };
  };
  postgres: InMs<Parsed<"postgres">, "waitTimeout">;
  gateway: GatewayConfig;
  docker: InMs<Parsed<"docker">, "timeout">;
  stages: Record<string, { timeoutMs?: number; retries?: number }>;
}

/** Vault issues when it is part of the stack and pki-init can hand it an intermediate (ephemeral CA, an IKM). */
function defaultIssuer(parsed: ParsedConfig): "vault" | "local" {
  const inStack = parsed.services.some((s) => s.name === parsed.vault.service);
  return inStack && parsed.vault.ikm !== undefined && parsed.pki.ca === "ephemeral" && parsed.vault.pkiMount !== parsed.vault.kvMount ? "vault" : "local";
}

export function normalizeConfig(parsed: ParsedConfig, baseDir: string, source: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const absOpt = (p: string | undefined) => (p === undefined ? undefined : abs(p));
  const { validity, renewBefore, ...pki } = parsed.pki;
  const { tokenPeriod, waitTimeout: vaultWait, snapshots, ...vault } = parsed.vault;
  const { waitTimeout: postgresWait, ...postgres } = parsed.postgres;
  const { timeout: dockerTimeout, ...docker } = parsed.docker;
  const { nginx, kong, jwt, ...gateway } = parsed.gateway;
  const { reloadTimeout: nginxReload, ...nginxRest } = nginx;
  const { reloadTimeout: kongReload, ...kongRest } = kong;
  const { ttl, rotate, ...jwtRest } = jwt;
  return {
    ...parsed,
    source,
    secretsDir: abs(parsed.secretsDir),
    stateDir: abs(parsed.stateDir),
    pki: {
      ...pki,
      issuer: pki.issuer ?? defaultIssuer(parsed),
      ca: pki.ca === "ephemeral" ? pki.ca : { import: abs(pki.ca.import) },
      validityMs: validity,
      renewBeforeMs: renewBefore ?? defaultRenewBeforeMs(validity),
    },
    services: withClusterNodes(parsed.services, vault.service, vault.cluster.names).map((s) => ({ ...s, importCert: absOpt(s.importCert) })),
    vault: {
      ...vault,
      ikm: vault.ikm && "file" in vault.ikm ? { file: abs(vault.ikm.file) } : vault.ikm,
      tokenPeriodMs: tokenPeriod,
      waitTimeoutMs: vaultWait,
      cluster: {
        nodes: vault.cluster.nodes,
        names: vault.cluster.names,
        addresses: clusterAddresses(vault.address, vault.cluster.names, vault.cluster.addresses),
      },
      snapshots: {
        keep: snapshots.keep,
        dir: snapshots.dir !== undefined ? abs(snapshots.dir) : resolve(abs(parsed.stateDir), "snapshots"),
        ...(snapshots.every !== undefined ? { everyMs: snapshots.every } : {}),
      },
    },
    postgres: { ...postgres, admin: { ...postgres.admin, passwordFile: absOpt(postgres.admin.passwordFile) }, waitTimeoutMs: postgresWait },
    gateway: {
      ...gateway,
      routes: absOpt(gateway.routes),
      importCert: absOpt(gateway.importCert),
      nginx: { ...nginxRest, configDir: absOpt(nginx.configDir), runtimeDir: absOpt(nginx.runtimeDir), reloadTimeoutMs: nginxReload },
      kong: { ...kongRest, configDir: absOpt(kong.configDir), reloadTimeoutMs: kongReload },
      jwt: { ...jwtRest, ttlMs: ttl, rotateMs: rotate },
    },
    docker: { ...docker, timeoutMs: dockerTimeout },
    agent: { ...parsed.agent, ...(parsed.agent.enroll ? { enroll: { ...parsed.agent.enroll, psk: absOpt(parsed.agent.enroll.psk) } } : {}) },
    stages: Object.fromEntries(
      Object.entries(parsed.stages).map(([name, { timeout, ...settings }]) => [
        name,
        { ...settings, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) },
      ]),
    ),
  };
}
