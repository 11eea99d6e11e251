// bootgate's identity in Vault: a JWT auth method that knows only bootgate's Ed25519 PUBLIC key
// (derived from the IKM), a role bound to bootgate's issuer, subject and audience, and the
// `bootgate` policy. The same requests are made either by OpenBao's self-initialization (the
// static seal: `initialize` stanza, root token revoked by Vault itself) or, with a Shamir or an
// operator's auto seal, once with the init root token — which is then revoked. Every later boot
// logs in with a fresh JWT: no root token, no generate-root.
import { type IdentityKey } from "./derived-keys.js";
import { randomUUID } from "node:crypto";
import { IDENTITY_AUDIENCE, IDENTITY_ISSUER, IDENTITY_SUBJECT, LOGIN_NONCE_CLAIM, signIdentityJwt } from "./identity-jwt.js";
import { IDENTITY_MOUNT, IDENTITY_POLICY, IDENTITY_ROLE } from "./identity-names.js";
import { bootgateIdentityPolicy } from "./identity-policy.js";
import { revokeResentDuplicates } from "./resent-creates.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

export interface VaultRequest {
  /** A name for OpenBao's `request` block and for error messages. */
  name: string;
  operation: "update";
  path: string;
  data: Record<string, unknown>;
}

/** The requests that make the identity, in order. */
export function identityRequests(kvMount: string, key: Pick<IdentityKey, "publicKeyPem">, pkiMount = "pki"): VaultRequest[] {
  return [
    { name: "enable-jwt", operation: "update", path: `sys/auth/${IDENTITY_MOUNT}`, data: { type: "jwt", description: "bootgate's own login (Ed25519 JWT)" } },
    {
      name: "jwt-key",
      operation: "update",
      path: `auth/${IDENTITY_MOUNT}/config`,
      data: { jwt_validation_pubkeys: [key.publicKeyPem], jwt_supported_algs: ["EdDSA"], bound_issuer: IDENTITY_ISSUER },
    },
    { name: "policy", operation: "update", path: `sys/policies/acl/${IDENTITY_POLICY}`, data: { policy: bootgateIdentityPolicy(kvMount, pkiMount) } },
    {
      name: "role",
      operation: "update",
      path: `auth/${IDENTITY_MOUNT}/role/${IDENTITY_ROLE}`,
      data: {
        role_type: "jwt",
        bound_audiences: [IDENTITY_AUDIENCE],
        bound_subject: IDENTITY_SUBJECT,
        user_claim: "sub",
        // A resent login's twin is found by this (loginAsBootgate); a Vault made before has no
        // mapping, and there a resent login leaves a 15-minute token nobody holds, as it did.
        claim_mappings: { [LOGIN_NONCE_CLAIM]: LOGIN_NONCE_CLAIM },
        token_policies: [IDENTITY_POLICY],
        token_no_default_policy: true,
        token_type: "service",
        // One stage run, or an agent's renewal round; it logs in again rather than live long.
        token_ttl: "15m",
        token_max_ttl: "1h",
      },
    },
  ];
}

/** Makes the identity with a root token (Shamir or an operator's auto seal, first boot only). */
export async function createIdentity(root: VaultClient, requests: readonly VaultRequest[]): Promise<void> {
  // A run cut off half-way left the mount behind: enabling it again would be refused.
  const auth = (await vaultCall(root.address, "read sys/auth", () => root.api.read("sys/auth"))) as { data?: Record<string, unknown> };
  const mounted = `${IDENTITY_MOUNT}/` in (auth.data ?? auth);
  for (const r of requests) {
    if (mounted && r.path === `sys/auth/${IDENTITY_MOUNT}`) continue;
    await vaultCall(root.address, `${r.name} (${r.path})`, () => root.api.write(r.path, r.data));
  }
}

export type LoginResult = { ok: true; token: string; accessor: string } | { ok: false; reason: "no-identity" | "refused"; detail: string };

/** Logs in as bootgate. Vault answers 403 for a path nothing is mounted at: the identity is not there. */
export async function loginAsBootgate(client: VaultClient, key: IdentityKey): Promise<LoginResult> {
  const path = `auth/${IDENTITY_MOUNT}/login`;
  type Answer = { auth: { client_token: string; accessor: string } };
  try {
    const callTracked = client.callTracked;
    if (!callTracked) {
      const response = (await client.api.write(path, { role: IDENTITY_ROLE, jwt: signIdentityJwt(key) })) as Answer;
      return { ok: true, token: response.auth.client_token, accessor: response.auth.accessor };
    }
    // A cluster's client: a login sent twice makes two tokens with bootgate's policy. The same
    // JWT (one nonce) goes out each time; only when it went out more than once is the twin looked for.
    const nonce = randomUUID();
    const body = { role: IDENTITY_ROLE, jwt: signIdentityJwt(key, new Date(), nonce) };
    const answer = await callTracked(`log in at ${path}`, (api) => api.write(path, body) as Promise<Answer>);
    const login = { ok: true as const, token: answer.value.auth.client_token, accessor: answer.value.auth.accessor };
    if (answer.resent) await revokeLoginTwin(client, login, nonce);
    return login;
  } catch (error) {
    const status = vaultStatusCode(error);
    const detail = error instanceof Error ? error.message : String(error);
    if (status === 403) return { ok: false, reason: "no-identity", detail };
    if (status === 400) return { ok: false, reason: "refused", detail };
    return vaultCall(client.address, `log in at ${path}`, () => Promise.reject(error));
  }
}

/**
 * Revokes the token a resent login's first send made, listing with the new login (the client
 * carries it meanwhile). A failure leaves a 15-minute token nobody holds, as before this was
 * done, and does not undo the login that worked.
 */
async function revokeLoginTwin(client: VaultClient, login: { token: string; accessor: string }, nonce: string): Promise<void> {
  const before = client.api.token;
  client.api.token = login.token;
  try {
    await revokeResentDuplicates(client, [{ nonce, keep: login.accessor }], LOGIN_NONCE_CLAIM);
  } catch {
    // See above: the login stands.
  } finally {
    client.api.token = before;
  }
}
