// Vault's TLS certificate auth method (`vault.certAuth`): one role per service at
// auth/cert/certs/<service>, trusting the stack's CA and only that service's name, giving the
// token the same policies as the token secretstore-setup mints for it. A service whose token was
// lost logs in again by itself with its cert.pem/key.pem (POST auth/cert/login). The CA is
// written again on every run: an ephemeral CA changes with each boot, and a role still trusting
// the last one would let nobody in.
import type { Config } from "../config/normalize.js";
import { mapLimit } from "../util/map-limit.js";
import { servicePolicyName, TOKEN_SELF_POLICY } from "./policies.js";
import { enableOnce } from "./resent-enable.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

export const CERT_AUTH_MOUNT = "cert";

/** The role a service logs in with, and what it says. */
export function certRole(config: Config, service: string, caPem: string): Record<string, unknown> {
  return {
    display_name: service,
    certificate: caPem,
    allowed_common_names: [service],
    token_policies: [servicePolicyName(service), TOKEN_SELF_POLICY],
    token_no_default_policy: true,
    token_type: "service",
    token_period: `${Math.round(config.vault.tokenPeriodMs / 1000)}s`,
  };
}

/** Enables the method once and (re)writes every service's role; returns true when it enabled it. */
export async function ensureCertAuth(client: VaultClient, config: Config): Promise<boolean> {
  const { api, address } = client;
  let enabled = false;
  try {
    await api.read(`sys/auth/${CERT_AUTH_MOUNT}`);
  } catch (error) {
    // "No auth engine at cert/"
    if (vaultStatusCode(error) !== 400) await vaultCall(address, `read sys/auth/${CERT_AUTH_MOUNT}`, () => Promise.reject(error));
    await enableOnce(
      client,
      `enable the cert auth method at ${CERT_AUTH_MOUNT}/`,
      () => api.write(`sys/auth/${CERT_AUTH_MOUNT}`, { type: "cert", description: "services log in with their own certificate" }),
      async () => {
        const body = (await api.read(`sys/auth/${CERT_AUTH_MOUNT}`)) as { type?: string; data?: { type?: string } };
        return (body.data?.type ?? body.type) === "cert";
      },
    );
    enabled = true;
  }
  const caPem = client.caPem.toString();
  await mapLimit(config.services, 8, (service) =>
    vaultCall(address, `write the cert role of ${service.name}`, () =>
      api.write(`auth/${CERT_AUTH_MOUNT}/certs/${service.name}`, certRole(config, service.name, caPem)),
    ),
  );
  return enabled;
}
