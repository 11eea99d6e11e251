// bootgate token <user> [--ttl 1h]: a JWT for a named user, signed with the gateway's key from
// Vault (made by proxy-setup). bootgate token --enroll <service> [--ttl 15m]: a one-time
// enrollment token for a remote service (docs/enroll.md). Either goes to stdout and nowhere else.
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { signJwt } from "../gateway/jwt.js";
import { jwtKeyPath, readJwtKey } from "../gateway/jwt-key.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { DEFAULT_ENROLL_TTL_MS, makeEnrollToken } from "../enroll/enroll-token.js";
import { vaultEnrollStore } from "../enroll/vault-enroll-store.js";
import { withBootgateLogin } from "../vault/bootgate-login.js";
import { durationFlag, parse, secretsDirFlag } from "./options.js";

export const TOKEN_USAGE =
  "usage: bootgate token <user> [--ttl 1h] | bootgate token --enroll <service> [--ttl 15m]  [--config FILE] [--secrets-dir DIR] [--json]";

/** A user name as it goes into `sub`: printable, no spaces, at most 128 characters. */
const USER = /^[A-Za-z0-9._@+-]{1,128}$/;

export async function tokenCommand(argv: string[], deps: GatewayKvDeps = defaultGatewayKvDeps): Promise<number> {
  const { values, positionals } = parse("token", argv, { ttl: { type: "string" }, enroll: { type: "string" } }, true);
  if (values.help) {
    process.stdout.write(TOKEN_USAGE + "\n");
    return 0;
  }
  if (values.enroll !== undefined) {
    if (positionals.length !== 0) throw new UsageError(`Expected no user name with --enroll, got \`${positionals.join(" ")}\`\n${TOKEN_USAGE}`);
    return enrollTokenCommand(values.enroll, values);
  }
  if (positionals.length !== 1) throw new UsageError(`Expected one user name, got ${positionals.length}\n${TOKEN_USAGE}`);
  const user = positionals[0]!;
  if (!USER.test(user)) throw new UsageError(`Expected the user to be 1-128 letters, digits or . _ @ + -, got \`${user}\``);
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const ttlMs = durationFlag("ttl", values.ttl, config.gateway.jwt.ttlMs);
  if (ttlMs < 1000) throw new UsageError(`Expected \`--ttl\` to be at least 1s, got \`${values.ttl}\``);
  const kv = await deps.openKv(config);
  let key;
  try {
    key = await readJwtKey(kv, config.gateway.service);
  } finally {
    kv.close?.();
  }
  if (!key) throw new Error(`no JWT signing key in Vault at ${jwtKeyPath(config.gateway.service)}: run proxy-setup first`);
  const nowMs = Date.now();
  const token = signJwt(key, { sub: user, iss: config.gateway.jwt.issuer, ttlMs, nowMs });
  if (values.json) {
    const expiresAt = new Date(nowMs + ttlMs).toISOString();
    process.stdout.write(JSON.stringify({ user, token, issuer: config.gateway.jwt.issuer, expiresAt }) + "\n");
  } else {
    process.stdout.write(token + "\n");
  }
  return 0;
}

async function enrollTokenCommand(
  service: string,
  values: { ttl?: string | undefined; config?: string | undefined; "secrets-dir"?: string | undefined; json: boolean },
) {
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  const entry = config.services.find((s) => s.name === service);
  if (!entry) throw new UsageError(`Expected --enroll to name a service of ${config.source}, got \`${service}\``);
  if (!entry.remote)
    throw new UsageError(`Expected \`${service}\` to be marked \`remote: true\` in ${config.source}: only remote services enroll over the network`);
  const ttlMs = durationFlag("ttl", values.ttl, DEFAULT_ENROLL_TTL_MS);
  if (ttlMs < 1000 || ttlMs > 7 * 86_400_000) throw new UsageError(`Expected \`--ttl\` between 1s and 7d, got \`${values.ttl}\``);
  const made = await withBootgateLogin(config, (admin) =>
    makeEnrollToken(
      vaultEnrollStore(() => Promise.resolve(admin), config.vault.kvMount),
      service,
      ttlMs,
    ),
  );
  const expiresAt = new Date(made.expiresAtMs).toISOString();
  process.stdout.write(values.json ? JSON.stringify({ service, token: made.token, expiresAt }) + "\n" : made.token + "\n");
  return 0;
}
