// Whether a rerun within the boot must have Vault issue the gateway a new leaf although no new
// intermediate came: the one Vault holds is missing or due for renewal (pki.renewBefore), as a
// leaf on the volume would be. Without this a due gateway certificate was kept until the next boot.
import type { Config } from "../config/normalize.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { fromKvRecord, gatewayTlsKey } from "../gateway/gateway-tls.js";

export async function gatewayLeafDue(config: Config, now: Date, deps: GatewayKvDeps = defaultGatewayKvDeps): Promise<boolean> {
  if (config.gateway.routes === undefined || config.gateway.importCert !== undefined) return false;
  const key = gatewayTlsKey(config.gateway.service);
  const kv = await deps.openKv(config);
  try {
    const data = await kv.read(key);
    if (!data) return true;
    const tls = fromKvRecord(data, key);
    if (tls.source === "import") return false;
    const notAfter = Date.parse(tls.notAfter);
    return !Number.isFinite(notAfter) || notAfter - config.pki.renewBeforeMs <= now.getTime();
  } finally {
    kv.close?.();
  }
}
