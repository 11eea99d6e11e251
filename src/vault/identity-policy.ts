// The `bootgate` policy: what bootgate's own Vault identity may do, and nothing else. It is
// written once, when the identity is made (by OpenBao's self-initialization, or with the init
// root token): bootgate can never rewrite it, nor touch auth methods, audit devices, the seal
// or generate-root. What it may do is what the stages and the agent do: see and enable its KV
// mount, write the service policies, mint service tokens through one token role, look up,
// renew and revoke them by accessor, list token accessors (sudo: the audit of "no root token
// is left"), list audit devices (sudo, read only), hash a value the way the audit log does,
// rotate the root key (sudo) so a seal key rotation takes; read a raft cluster's members, set its
// autopilot, and save and restore its snapshots (sudo, bootgate's `snapshot` command); and — the
// one auth method it may touch — enable the cert method and write its per-service roles (vault.certAuth).
import { SERVICE_TOKEN_ROLE } from "./identity-names.js";
import { BOOTGATE_POLICY, TOKEN_SELF_POLICY } from "./policies.js";

const rule = (path: string, capabilities: string[]) => `path "${path}" {\n  capabilities = ${JSON.stringify(capabilities)}\n}`;

export function bootgateIdentityPolicy(kvMount: string, pkiMount = "pki"): string {
  return [
    "# bootgate's own identity (see src/vault/identity-policy.ts for why each path is here)",
    rule(`sys/mounts/${kvMount}`, ["read", "create", "update"]),
    rule(`${kvMount}/data/*`, ["create", "read", "update", "delete", "list"]),
    rule(`${kvMount}/metadata/*`, ["read", "list", "delete"]),
    rule("sys/policies/acl/svc-*", ["create", "read", "update", "delete"]),
    rule(`sys/policies/acl/${BOOTGATE_POLICY}`, ["create", "read", "update"]),
    rule(`sys/policies/acl/${TOKEN_SELF_POLICY}`, ["create", "read", "update"]),
    rule(`auth/token/roles/${SERVICE_TOKEN_ROLE}`, ["create", "read", "update"]),
    rule(`auth/token/create/${SERVICE_TOKEN_ROLE}`, ["create", "update"]),
    rule("auth/token/lookup-accessor", ["update"]),
    rule("auth/token/renew-accessor", ["update"]),
    rule("auth/token/revoke-accessor", ["update"]),
    rule("auth/token/accessors", ["list", "sudo"]),
    rule("auth/token/lookup-self", ["read"]),
    rule("auth/token/renew-self", ["update"]),
    rule("auth/token/revoke-self", ["update"]),
    rule("sys/audit", ["read", "sudo"]),
    rule("sys/audit-hash/*", ["update"]),
    "# after a seal key rotation: rewrap the stored root key (src/vault/seal-rewrap.ts)",
    rule("sys/rotate/root", ["update", "sudo"]),
    "# a raft cluster: members and autopilot (src/vault/cluster/raft-state.ts), snapshots (src/vault/cluster/snapshot.ts)",
    rule("sys/storage/raft/configuration", ["read"]),
    rule("sys/storage/raft/autopilot/*", ["read", "update"]),
    rule("sys/storage/raft/snapshot", ["read", "update", "sudo"]),
    rule("sys/storage/raft/snapshot-force", ["update", "sudo"]),
    "# Vault's PKI engine (pki.issuer: vault): mount it, import this boot's intermediate, roles, issue and revoke",
    rule(`sys/mounts/${pkiMount}`, ["read", "create", "update"]),
    rule(`${pkiMount}/*`, ["create", "read", "update", "list"]),
    "# vault.certAuth: the cert auth method and one role per service (src/vault/cert-auth.ts)",
    rule("sys/auth/cert", ["create", "read", "update", "sudo"]),
    rule("auth/cert/certs/*", ["create", "read", "update", "delete", "list"]),
    "",
  ].join("\n");
}
