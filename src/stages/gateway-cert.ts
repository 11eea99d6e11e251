// gateway-cert: puts the gateway's certificate, key and chain into Vault at `<gateway>/tls`, and
// the certificate it presents to services at `<gateway>/client-tls`. The leaf comes from pki-init
// in memory (ctx.handoff, same process), or from an imported certificate (gateway.importCert);
// its key never goes to the secrets volume.
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { isTransient } from "../errors.js";
import { caBundlePath } from "../volume/layout.js";
import { fromKvRecord, gatewayClientTlsKey, gatewayTlsFrom, gatewayTlsKey, isCurrent, standsUnder, toKvRecord, type GatewayTls } from "../gateway/gateway-tls.js";
import { loadImportedGatewayCert } from "../gateway/imported-cert.js";
import { GATEWAY_LEAF_HANDOFF, takeGatewayLeaf, type GatewayLeaf } from "../pki/gateway-handoff.js";
import type { Stage } from "../runner/stage.js";
import type { KvClient } from "../vault/kv-client.js";
import { BOOTGATE_IDENTITY } from "../vault/layout.js";
import type { StageEntry } from "./registry.js";

import { GATEWAY_CERT_READY, PKI_READY, VAULT_READY } from "../gates/gate-names.js";

export interface GatewayKv extends KvClient {
  close?(): void;
}

export interface GatewayStageDeps {
  openKv(config: Config): Promise<GatewayKv>;
}

export const defaultGatewayDeps: GatewayStageDeps = {
  openKv: async (config) => (await import("../vault/open-kv-client.js")).openKvClient(config, BOOTGATE_IDENTITY),
};

export function createGatewayCertStage(config: Config, deps: GatewayStageDeps = defaultGatewayDeps): Stage {
  const gateway = config.gateway.service;
  const servedKey = gatewayTlsKey(gateway);
  const clientKey = gatewayClientTlsKey(gateway);
  // Taken out of the handoff at once; kept here only while a transient failure may retry.
  let carried: GatewayLeaf | undefined;
  return {
    name: "gateway-cert",
    needs: [PKI_READY, VAULT_READY],
    opens: [GATEWAY_CERT_READY],
    async run(ctx) {
      carried = takeGatewayLeaf(ctx.handoff) ?? carried;
      const imported = config.gateway.importCert ? await loadImportedGatewayCert(config.gateway.importCert) : undefined;
      const handed = carried ? gatewayTlsFrom({ ...carried, source: carried.source === "imported" ? "import" : "pki-init" }) : undefined;
      const caPem = await readFile(caBundlePath(config.secretsDir), "utf8").catch(() => "");
      const kv = await deps.openKv(config);
      let served: GatewayTls | undefined;
      let client: GatewayTls | undefined;
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
      } catch (error) {
        if (!isTransient(error)) carried = undefined;
        throw error;
      } finally {
        kv.close?.();
      }
      carried = undefined;
      const kept = !imported && !handed;
      ctx.log.info(
        `gateway certificate (${served.source}) ${kept ? "kept" : "stored"} in Vault at ${servedKey}, sha256 ${served.fingerprint}; client certificate sha256 ${client.fingerprint}`,
      );
      return { summary: `${kept ? "kept the" : served.source} certificate in Vault, sha256 ${served.fingerprint.slice(0, 11)}…` };
    },
  };
}

async function stored(kv: KvClient, key: string, stands: (tls: GatewayTls) => boolean): Promise<GatewayTls | undefined> {
  const data = await kv.read(key);
  if (!data) return undefined;
  const tls = fromKvRecord(data, key);
  return stands(tls) ? tls : undefined;
}

export const gatewayCertEntry: StageEntry = {
  name: "gateway-cert",
  enabled: (config) => config.gateway.routes !== undefined,
  preflight: async (config) => {
    if (config.gateway.importCert) await loadImportedGatewayCert(config.gateway.importCert);
  },
  create: (config) => createGatewayCertStage(config),
};
