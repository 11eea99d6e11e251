// Policies and one token per identity (each service, plus bootgate's later stages), made with
// bootgate's own login (policy `bootgate`, src/vault/identity-policy.ts).
// A token on disk is kept when it is the one the registry says we issued, still valid, with the
// expected policies — so a rerun in the same boot changes nothing. An empty tmpfs (a reboot)
// means no token files: every identity gets a new token and the previous ones are revoked.
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { ensureDir, type WriteOptions } from "../fs/atomic-write.js";
import { ensureServiceDir, secretFileOptions } from "../fs/service-dir.js";
import { BOOTGATE_IDENTITY, type TokenFile } from "./layout.js";
import { mapLimit } from "../util/map-limit.js";
import { bootgateDir } from "../volume/layout.js";
import { BOOTGATE_POLICY, bootgatePolicy, servicePolicy, servicePolicyName, TOKEN_SELF_POLICY, TOKEN_SELF_RULES } from "./policies.js";
import { readTokenFile, writeTokenFile } from "./token-file.js";
import { readTokenRegistry, type TokenRegistry, writeTokenRegistry } from "./token-registry.js";
import { SERVICE_TOKEN_ROLE } from "./identity-names.js";
import { ResentCreates } from "./resent-creates.js";
import { createPeriodicToken, lookupAccessor, revokeAccessor, serviceTokenRole } from "./tokens.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall } from "./vault-errors.js";

const CONCURRENCY = 16;

export interface Identity {
  name: string;
  policies: string[];
  kvPrefix: string;
  prepareDir(): Promise<void>;
  fileOptions: WriteOptions;
}

/** What secretstore-setup did to the tokens, counted. */
export interface TokensProvisioned {
  issued: number;
  kept: number;
  revoked: number;
  /** Present when some were: extra tokens of creates a cluster's follower sent twice, revoked. */
  resentExtra?: number;
}

/**
 * Who gets a token: every service on this host (a remote one has no folder to hold it), then
 * bootgate's later stages (also the agent's token keeper's list).
 */
export function identities(config: Config): Identity[] {
  const services: Identity[] = config.services
    .filter((s) => !s.remote)
    .map((s: ServiceConfig) => ({
      name: s.name,
      policies: [servicePolicyName(s.name), TOKEN_SELF_POLICY],
      kvPrefix: s.name,
      prepareDir: async () => void (await ensureServiceDir(config.secretsDir, s)),
      // A token is a secret of its service alone: 0600 even where the key is group-readable.
      fileOptions: { ...secretFileOptions({ ...s, groupReadKey: false }) },
    }));
  const bootgate: Identity = {
    name: BOOTGATE_IDENTITY,
    policies: [BOOTGATE_POLICY, TOKEN_SELF_POLICY],
    kvPrefix: "",
    prepareDir: () => ensureDir(bootgateDir(config.secretsDir), { mode: 0o700, uid: 0, gid: 0 }),
    fileOptions: { mode: 0o600, uid: 0, gid: 0 },
  };
  return [...services, bootgate];
}

export async function writePolicies(root: VaultClient, config: Config): Promise<void> {
  const mount = config.vault.kvMount;
  const policies: [string, string][] = [
    [TOKEN_SELF_POLICY, TOKEN_SELF_RULES],
    [
      BOOTGATE_POLICY,
      bootgatePolicy(
        mount,
        config.services.map((s) => s.name),
        config.pki.issuer === "vault" ? config.vault.pkiMount : undefined,
      ),
    ],
    ...config.services.map((s): [string, string] => [
      servicePolicyName(s.name),
      servicePolicy(mount, s.name, config.pki.issuer === "vault" ? config.vault.pkiMount : undefined),
    ]),
  ];
  await mapLimit(policies, CONCURRENCY, ([name, policy]) =>
    vaultCall(root.address, `write policy ${name}`, () => root.api.write(`sys/policies/acl/${name}`, { policy })),
  );
  // Written every run, so a changed vault.tokenPeriod applies to the next tokens.
  const role = serviceTokenRole(config.vault.tokenPeriodMs, [BOOTGATE_POLICY, TOKEN_SELF_POLICY]);
  await vaultCall(root.address, `write token role ${SERVICE_TOKEN_ROLE}`, () => root.api.write(`auth/token/roles/${SERVICE_TOKEN_ROLE}`, role));
}

const samePolicies = (a: readonly string[], b: readonly string[]) =>
  a
    .filter((p) => p !== "default")
    .sort()
    .join(",") ===
  b
    .filter((p) => p !== "default")
    .sort()
    .join(",");

/** An identity's token.json, atomically, in its own folder: the one shape the boot and the agent both write. */
export async function writeIdentityToken(
  config: Config,
  id: Identity,
  token: { token: string; accessor: string },
  bootId: string,
  issuedAt: string,
): Promise<void> {
  const body: TokenFile = {
    token: token.token,
    accessor: token.accessor,
    address: config.vault.address,
    serverName: config.vault.service,
    kvMount: config.vault.kvMount,
    kvPrefix: id.kvPrefix,
    policies: id.policies,
    bootId,
    issuedAt,
  };
  await id.prepareDir();
  await writeTokenFile(config.secretsDir, id.name, body, id.fileOptions);
}

export async function provisionTokens(root: VaultClient, config: Config, bootId: string): Promise<TokensProvisioned> {
  const mount = config.vault.kvMount;
  const registry = await readTokenRegistry(root, mount);
  const next: TokenRegistry["tokens"] = {};
  const toRevoke: string[] = [...registry.revoke];
  let issued = 0;
  let kept = 0;
  const resent = new ResentCreates();

  await mapLimit(identities(config), CONCURRENCY, async (id) => {
    const previous = registry.tokens[id.name];
    const onDisk = await readTokenFile(config.secretsDir, id.name);
    if (previous && onDisk && onDisk.accessor === previous.accessor && onDisk.kvMount === mount && onDisk.address === config.vault.address) {
      const info = await lookupAccessor(root, previous.accessor);
      if (info && info.ttl > 0 && samePolicies(info.policies, id.policies)) {
        next[id.name] = previous;
        kept++;
        return;
      }
    }
    const token = await createPeriodicToken(
      root,
      {
        policies: id.policies,
        displayName: `bootgate-${id.name}`,
        meta: { service: id.name, bootId },
      },
      resent,
    );
    const issuedAt = new Date().toISOString();
    await writeIdentityToken(config, id, token, bootId, issuedAt);
    next[id.name] = { accessor: token.accessor, bootId, issuedAt };
    issued++;
    if (previous) toRevoke.push(previous.accessor);
  });
  // Services dropped from the config lose their token too.
  for (const [name, entry] of Object.entries(registry.tokens)) if (!(name in next)) toRevoke.push(entry.accessor);

  // Record the old accessors as pending before revoking them, and clear the list after: a run that
  // dies in between leaves them for the next run to revoke, never forgotten.
  const unchanged = issued === 0 && toRevoke.length === 0;
  if (!unchanged) await writeTokenRegistry(root, mount, { tokens: next, revoke: toRevoke });
  const revoked = await mapLimit(toRevoke, CONCURRENCY, (accessor) => revokeAccessor(root, accessor));
  if (toRevoke.length > 0) await writeTokenRegistry(root, mount, { tokens: next, revoke: [] });
  // Last, once every kept token is on disk and recorded: the extra tokens of creates a cluster's
  // follower sent twice (a leader that died after committing one), held by nobody.
  const duplicates = await resent.settle(root);
  return { issued, kept, revoked: revoked.filter(Boolean).length, ...(duplicates > 0 ? { resentExtra: duplicates } : {}) };
}
