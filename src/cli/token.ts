// bootgate token <user> [--ttl 1h]: a JWT for a named user, signed with the gateway's key from
// Vault (made by proxy-setup). The token goes to stdout and nowhere else.
import { loadConfig } from "../config/load.js";
import { UsageError } from "../errors.js";
import { signJwt } from "../gateway/jwt.js";
import { jwtKeyPath, readJwtKey } from "../gateway/jwt-key.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { durationFlag, parse, secretsDirFlag } from "./options.js";

export const TOKEN_USAGE = "usage: bootgate token <user> [--ttl 1h] [--config FILE] [--secrets-dir DIR] [--json]";

/** A user name as it goes into `sub`: printable, no spaces, at most 128 characters. */
const USER = /^[A-Za-z0-9._@+-]{1,128}$/;

export async function tokenCommand(argv: string[], deps: GatewayKvDeps = defaultGatewayKvDeps): Promise<number> {
  const { values, positionals } = parse("token", argv, { ttl: { type: "string" } }, true);
  if (values.help) {
    process.stdout.write(TOKEN_USAGE + "\n");
    return 0;
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
