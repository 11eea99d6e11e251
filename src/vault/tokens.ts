// Token operations with bootgate's identity: create a service token through the token role
// (orphan and periodic by the role, so revoking bootgate's login does not take it along, and
// its policies can only be the services' and the later stages'), look one up and revoke one by
// accessor. node-vault's tokenCreate() would swap the client's own token for the new one, so
// plain writes.
import { randomUUID } from "node:crypto";
import { SERVICE_TOKEN_ROLE } from "./identity-names.js";
import type { ResentCreate } from "./resent-creates.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

export interface NewToken {
  token: string;
  accessor: string;
  policies: string[];
}

export interface TokenSpec {
  policies: string[];
  displayName: string;
  meta: Record<string, string>;
}

/** The token role every service token is made through; its period is `vault.tokenPeriod`. */
export function serviceTokenRole(periodMs: number, allowedPolicies: string[]): Record<string, unknown> {
  return {
    allowed_policies: allowedPolicies,
    allowed_policies_glob: ["svc-*"],
    disallowed_policies: ["root", "bootgate"],
    orphan: true,
    renewable: true,
    token_period: `${Math.max(1, Math.round(periodMs / 1000))}s`,
    token_no_default_policy: true,
    token_type: "service",
  };
}

/** The token meta key holding a create's nonce on a cluster (src/vault/resent-creates.ts); not a secret. */
export const CREATE_NONCE_META = "bootgate_create";

type CreateResponse = { auth: { client_token: string; accessor: string; policies: string[] } };
const newToken = (response: CreateResponse): NewToken => ({
  token: response.auth.client_token,
  accessor: response.auth.accessor,
  policies: response.auth.policies,
});

/**
 * Creates a service token. On a cluster's client a create the follower sent more than once is
 * handed to `resent`, whose owner revokes the extra token it may have made (ResentCreates.settle)
 * once the kept one is recorded: settling first would leave the kept one orphaned if it failed.
 */
export async function createPeriodicToken(root: VaultClient, spec: TokenSpec, resent: { add(create: ResentCreate): void }): Promise<NewToken> {
  const path = `auth/token/create/${SERVICE_TOKEN_ROLE}`;
  const what = `create token ${spec.displayName}`;
  const callTracked = root.callTracked;
  if (!callTracked) {
    const body = { policies: spec.policies, display_name: spec.displayName, meta: spec.meta };
    return newToken((await vaultCall(root.address, what, () => root.api.write(path, body))) as CreateResponse);
  }
  const nonce = randomUUID();
  const body = { policies: spec.policies, display_name: spec.displayName, meta: { ...spec.meta, [CREATE_NONCE_META]: nonce } };
  const answer = await vaultCall(root.address, what, () => callTracked(what, (api) => api.write(path, body) as Promise<CreateResponse>));
  const token = newToken(answer.value);
  if (answer.resent) resent.add({ nonce, keep: token.accessor });
  return token;
}

export interface TokenInfo {
  accessor: string;
  policies: string[];
  ttl: number;
  period?: number;
  renewable?: boolean;
  display_name?: string;
  meta?: Record<string, string> | null;
}

/** Looks a token up by accessor; undefined when it is gone (expired, revoked). */
export async function lookupAccessor(root: VaultClient, accessor: string): Promise<TokenInfo | undefined> {
  try {
    const response = (await root.api.write("auth/token/lookup-accessor", { accessor })) as { data: TokenInfo };
    return response.data;
  } catch (error) {
    const status = vaultStatusCode(error);
    if (status === 400 || status === 403 || status === 404) return undefined;
    return vaultCall(root.address, "auth/token/lookup-accessor", () => Promise.reject(error));
  }
}

/** Revokes by accessor; a token already gone is fine. */
export async function revokeAccessor(root: VaultClient, accessor: string): Promise<boolean> {
  try {
    await root.api.write("auth/token/revoke-accessor", { accessor });
    return true;
  } catch (error) {
    const status = vaultStatusCode(error);
    if (status === 400 || status === 403 || status === 404) return false;
    return vaultCall(root.address, "auth/token/revoke-accessor", () => Promise.reject(error));
  }
}

/** The calling token's own view of itself; undefined when Vault refuses it (revoked, expired). */
export async function lookupSelf(client: VaultClient): Promise<TokenInfo | undefined> {
  try {
    const response = (await client.api.read("auth/token/lookup-self")) as { data: TokenInfo };
    return response.data;
  } catch (error) {
    const status = vaultStatusCode(error);
    if (status === 403 || status === 401) return undefined;
    return vaultCall(client.address, "auth/token/lookup-self", () => Promise.reject(error));
  }
}

export async function revokeSelf(client: VaultClient): Promise<void> {
  await vaultCall(client.address, "auth/token/revoke-self", () => client.api.write("auth/token/revoke-self", {}));
}

/**
 * Renews a token by accessor (a periodic token goes back to its full period); its new TTL in
 * seconds, or undefined when Vault no longer knows the accessor (expired, revoked). Vault's
 * answer for an unknown accessor is 400; a 403 is a refusal of the caller's own token and throws.
 */
export async function renewAccessor(client: VaultClient, accessor: string): Promise<number | undefined> {
  try {
    const response = (await client.api.write("auth/token/renew-accessor", { accessor })) as { auth?: { lease_duration?: number } };
    return response.auth?.lease_duration ?? 0;
  } catch (error) {
    const status = vaultStatusCode(error);
    if (status === 400 || status === 404) return undefined;
    return vaultCall(client.address, "auth/token/renew-accessor", () => Promise.reject(error));
  }
}
