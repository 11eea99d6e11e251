// 12-factor: environment variables override paths and addresses (never secrets as values;
// a password comes from a file whose path may be set here).
export interface EnvOverride {
  env: string;
  path: string[];
  /** How to turn the text into the config value. */
  parse?: (text: string) => unknown;
}

export const ENV_OVERRIDES: EnvOverride[] = [
  { env: "BOOTGATE_SECRETS_DIR", path: ["secretsDir"] },
  { env: "BOOTGATE_STATE_DIR", path: ["stateDir"] },
  { env: "BOOTGATE_VAULT_ADDR", path: ["vault", "address"] },
  // A count, not an address: compose/vault-cluster.yml sets it so that it combines with an override
  // that mounts a config of its own (compose/checklist.yml) in any order, which one file cannot.
  { env: "BOOTGATE_VAULT_CLUSTER_NODES", path: ["vault", "cluster", "nodes"], parse: (t) => (/^\d+$/.test(t) ? Number(t) : t) },
  { env: "BOOTGATE_PG_HOST", path: ["postgres", "host"] },
  { env: "BOOTGATE_PG_PORT", path: ["postgres", "port"], parse: (t) => (/^\d+$/.test(t) ? Number(t) : t) },
  { env: "BOOTGATE_PG_PASSWORD_FILE", path: ["postgres", "admin", "passwordFile"] },
  { env: "BOOTGATE_GATEWAY_KIND", path: ["gateway", "kind"] },
  { env: "BOOTGATE_GATEWAY_PORT", path: ["gateway", "nginx", "listen"], parse: (t) => (/^\d+$/.test(t) ? Number(t) : t) },
  { env: "BOOTGATE_KONG_ADMIN_URL", path: ["gateway", "kong", "adminUrl"] },
  { env: "BOOTGATE_KONG_MODE", path: ["gateway", "kong", "mode"] },
  { env: "BOOTGATE_DOCKER_SOCKET", path: ["docker", "socket"] },
  { env: "BOOTGATE_AGENT_LISTEN", path: ["agent", "listen"] },
];

/** Applies the overrides to the raw document; returns which dotted paths came from which variable. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const origins = new Map<string, string>();
  for (const o of ENV_OVERRIDES) {
    const text = env[o.env];
    if (text === undefined || text === "") continue;
    let node = raw;
    for (const key of o.path.slice(0, -1)) {
      const next = node[key];
      if (typeof next !== "object" || next === null || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[o.path.at(-1)!] = o.parse ? o.parse(text) : text;
    origins.set(o.path.join("."), o.env);
  }
  return origins;
}
