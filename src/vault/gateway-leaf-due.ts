// Whether a rerun within the boot must have Vault issue the gateway a new leaf although no new
// intermediate came: the one Vault holds is missing or due for renewal (pki.renewBefore), as a
// leaf on the volume would be. Without this a due gateway certificate was kept until the next boot.
// Also when it was not issued by this boot's intermediate (`issuerPem`): a run killed after Vault
// took the new intermediate but before gateway-cert stored the new leaf left the previous boot's
// certificate there, and the rerun's gateway-cert refused it (compose-init-kill.test.ts found it).
import { X509Certificate } from "node:crypto";
import type { Config } from "../config/normalize.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { fromKvRecord, gatewayTlsKey } from "../gateway/gateway-tls.js";

const firstPem = (pem: string) => /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0] ?? pem;

export async function gatewayLeafDue(config: Config, now: Date, deps: GatewayKvDeps = defaultGatewayKvDeps, issuerPem?: string): Promise<boolean> {
  if (config.gateway.routes === undefined || config.gateway.importCert !== undefined) return false;
  const key = gatewayTlsKey(config.gateway.service);
  const kv = await deps.openKv(config);
  try {
    const data = await kv.read(key);
    if (!data) return true;
    const tls = fromKvRecord(data, key);
    if (tls.source === "import") return false;
    if (issuerPem !== undefined) {
      const issuer = new X509Certificate(firstPem(issuerPem));
      const leaf = new X509Certificate(firstPem(tls.certPem));
      if (!leaf.checkIssued(issuer) || !leaf.verify(issuer.publicKey)) return true;
    }
    const notAfter = Date.parse(tls.notAfter);
    return !Number.isFinite(notAfter) || notAfter - config.pki.renewBeforeMs <= now.getTime();
  } finally {
    kv.close?.();
  }
}
