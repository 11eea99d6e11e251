// gateway-cert: puts the gateway's certificate, key and chain into Vault at `<gateway>/tls`, and
// the certificate it presents to services at `<gateway>/client-tls`. The leaf comes from pki-init
// in memory (ctx.handoff, same process), or from an imported certificate (gateway.importCert);
// its key never goes to the secrets volume.
import { readFile } from "node:fs/promises";
import { isTransient } from "../errors.js";
import { GATEWAY_CERT_READY, PKI_READY, VAULT_READY } from "../gates/gate-names.js";
import { defaultGatewayKvDeps, type GatewayKvDeps } from "../gateway/gateway-kv.js";
import { caBundlePath } from "../volume/layout.js";
import {
  fromKvRecord,
  gatewayClientTlsKey,
  gatewayTlsFrom,
  gatewayTlsKey,
  isCurrent,
  standsUnder,
  toKvRecord,
  type GatewayTls,
} from "../gateway/gateway-tls.js";
import { loadImportedGatewayCert } from "../gateway/imported-cert.js";
import { GATEWAY_LEAF_HANDOFF, putGatewayLeaf, takeGatewayLeaf } from "../pki/gateway-handoff.js";
import { defineStage } from "../runner/define-stage.js";
import type { KvClient } from "../vault/kv-client.js";

export const GATEWAY_CERT = "gateway-cert";

export function gatewayCertStage(deps: GatewayKvDeps = defaultGatewayKvDeps) {
  return defineStage({
    name: GATEWAY_CERT,
    needs: [PKI_READY, VAULT_READY],
    opens: [GATEWAY_CERT_READY],
    enabled: (config) => config.gateway.routes !== undefined,
    preflight: async (config): Promise<{ imported: GatewayTls | undefined }> => ({
      imported: config.gateway.importCert ? await loadImportedGatewayCert(config.gateway.importCert) : undefined,
    }),
    async run(ctx, { imported }) {
      const { config } = ctx;
      const gateway = config.gateway.service;
      const servedKey = gatewayTlsKey(gateway);
      const clientKey = gatewayClientTlsKey(gateway);
      const leaf = takeGatewayLeaf(ctx.handoff);
      let served: GatewayTls | undefined;
      let client: GatewayTls | undefined;
      let handed: GatewayTls | undefined;
      try {
        handed = leaf ? gatewayTlsFrom({ ...leaf, source: leaf.source === "imported" ? "import" : "pki-init" }) : undefined;
        const caPem = await readFile(caBundlePath(config.secretsDir), "utf8").catch(() => "");
        const kv = await deps.openKv(config);
        try {
          // Served to clients: an imported certificate wins; else this run's leaf; else what Vault holds.
          served = imported ?? handed ?? (await stored(kv, servedKey, (t) => (t.source === "import" ? isCurrent(t) : standsUnder(t, caPem))));
          if (!served) {
            throw new Error(
              `no gateway certificate to store: pki-init hands the gateway's leaf over in memory ("${GATEWAY_LEAF_HANDOFF}"), so gateway-cert must run in the same process as pki-init (\`bootgate run\`), or set gateway.importCert; ` +
                ((await kv.read(servedKey)) ? "the one in Vault no longer chains to this boot's CA or has expired" : `Vault has none at ${servedKey}`),
            );
          }
          // Presented to services (mutual TLS inside the stack): it must come from the stack's CA,
          // even when the served one is a public certificate.
          client =
            (handed?.source === "pki-init" ? handed : undefined) ??
            (await stored(kv, clientKey, (t) => standsUnder(t, caPem))) ??
            (caPem && standsUnder(served, caPem) ? served : undefined);
          if (!client) {
            throw new Error(
              `no certificate from the stack's CA for the gateway's mutual TLS with the services: run gateway-cert in the same process as pki-init (\`bootgate run\`), which issues one for \`${gateway}\` unless services.${gateway}.importCert replaces it`,
            );
          }
          // What came from Vault stays as it is (no new KV version for nothing).
          if (imported || handed) await kv.write(servedKey, toKvRecord(served));
          if (client === handed || client === served) await kv.write(clientKey, toKvRecord(client));
        } finally {
          kv.close?.();
        }
      } catch (error) {
        // Back into the handoff only for a retry; otherwise the key goes no further.
        if (leaf && isTransient(error)) putGatewayLeaf(ctx.handoff, leaf);
        throw error;
      }
      const kept = !imported && !handed;
      ctx.log.info(
        `gateway certificate (${served.source}) ${kept ? "kept" : "stored"} in Vault at ${servedKey}, sha256 ${served.fingerprint}; client certificate sha256 ${client.fingerprint}`,
      );
      return { summary: `${kept ? "kept the" : served.source} certificate in Vault, sha256 ${served.fingerprint.slice(0, 11)}…` };
    },
  });
}

async function stored(kv: KvClient, key: string, stands: (tls: GatewayTls) => boolean): Promise<GatewayTls | undefined> {
  const data = await kv.read(key);
  if (!data) return undefined;
  const tls = fromKvRecord(data, key);
  return stands(tls) ? tls : undefined;
}
