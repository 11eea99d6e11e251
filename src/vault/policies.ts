// The policies secretstore-setup writes. A service reaches its own KV folder and nothing else;
// bootgate's own token (for db-seed, gateway-cert, proxy-setup) reaches every service's folder
// and under sys/ only reads the list of audit devices. Tokens are created without the `default`
// policy; `bootgate-token-self` gives back only what a holder needs to keep its token alive and
// see its TTL.
export const TOKEN_SELF_POLICY = "bootgate-token-self";
export const BOOTGATE_POLICY = "bootgate-init";
export const servicePolicyName = (service: string) => `svc-${service}`;

function serviceRules(mount: string, service: string): string {
  return [
    `path "${mount}/data/${service}/*" {\n  capabilities = ["create", "read", "update", "delete", "list"]\n}`,
    `path "${mount}/metadata/${service}/*" {\n  capabilities = ["read", "list", "delete"]\n}`,
  ].join("\n");
}

/** With `pkiMount` (pki.issuer: vault) the service may also renew its own certificate, and only its own. */
export function servicePolicy(mount: string, service: string, pkiMount?: string): string {
  const pki = pkiMount ? `\npath "${pkiMount}/issue/${service}" {\n  capabilities = ["update"]\n}` : "";
  return `# bootgate: ${service} reads and writes its own folder only\n${serviceRules(mount, service)}${pki}\n`;
}

/**
 * Listed service by service, not with a wildcard, so bootgate's own bookkeeping stays out of
 * reach. `sys/audit` (read, and sudo, which listing needs) lets `bootgate status` show the audit
 * devices without anything more privileged on the volume.
 */
export function bootgatePolicy(mount: string, services: readonly string[], pkiMount?: string): string {
  const audit = `path "sys/audit" {\n  capabilities = ["read", "sudo"]\n}`;
  // `bootgate status` lists the revoked serials (pki.issuer: vault); nothing else under the mount.
  const revoked = pkiMount ? [`path "${pkiMount}/certs/revoked" {\n  capabilities = ["list"]\n}`] : [];
  return `# bootgate: the stages after secretstore-setup write into each service's folder\n${[...services.map((s) => serviceRules(mount, s)), audit, ...revoked].join("\n")}\n`;
}

export const TOKEN_SELF_RULES = `# bootgate: a token may look itself up and renew or revoke itself
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}
`;
