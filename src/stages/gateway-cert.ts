// gateway-cert: puts the gateway's certificate, key and chain into Vault at `<gateway>/tls`.
// The leaf comes from pki-init in memory (ctx.handoff, same process), or from an imported
// certificate (gateway.importCert); its key never goes to the secrets volume.
import type { Config } from "../config/normalize.js";
import { isTransient } from "../errors.js";
import { readFile } from "node:fs/promises";
import { caBundlePath } from "../gateway/gateway-paths.js";
import { fromKvRecord, gatewayTlsFrom, standsUnder, toKvRecord, type GatewayTls } from "../gateway/gateway-tls.js";
import { loadImportedGatewayCert } from "../gateway/imported-cert.js";
import { GATEWAY_LEAF_HANDOFF, takeGatewayLeaf, type GatewayLeaf } from "../pki/gateway-handoff.js";
import type { Stage } from "../runner/stage.js";
import type { KvClient } from "../vault/kv-client.js";
import { BOOTGATE_IDENTITY, serviceKey } from "../vault/layout.js";
import type { StageEntry } from "./registry.js";

export const GATEWAY_CERT_READY = "gateway-cert-ready";

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
  const key = serviceKey(gateway, "tls");
  // Taken out of the handoff at once; kept here only while a transient failure may retry.
  let carried: GatewayLeaf | undefined;
  return {
    name: "gateway-cert",
    needs: ["pki-ready", "vault-ready"],
    opens: [GATEWAY_CERT_READY],
    async run(ctx) {
      carried = takeGatewayLeaf(ctx.handoff) ?? carried;
      let tls: GatewayTls | undefined;
      if (config.gateway.importCert) {
        tls = await loadImportedGatewayCert(config.gateway.importCert);
        carried = undefined;
      } else if (carried) {
        tls = gatewayTlsFrom({ certPem: carried.certPem, keyPem: carried.keyPem, chainPem: carried.chainPem, source: carried.source === "imported" ? "import" : "pki-init" });
      }
      const kv = await deps.openKv(config);
      try {
        if (!tls) return await keepStored(kv);
        await kv.write(key, toKvRecord(tls));
      } catch (error) {
        if (!isTransient(error)) carried = undefined;
        throw error;
      } finally {
        kv.close?.();
      }
      carried = undefined;
      ctx.log.info(`gateway certificate (${tls.source}) stored in Vault at ${key}, sha256 ${tls.fingerprint}`);
      return { summary: `${tls.source} certificate in Vault, sha256 ${tls.fingerprint.slice(0, 11)}…` };
    },
  };

  // No leaf in memory (a `--only` run, or pki-init kept this boot's certificates): what Vault
  // holds stands if it is still valid and chains to this boot's CA.
  async function keepStored(kv: KvClient) {
    const stored = await kv.read(key);
    const caPem = await readFile(caBundlePath(config), "utf8").catch(() => "");
    const tls = stored ? fromKvRecord(stored, key) : undefined;
    if (!tls || !caPem || !standsUnder(tls, caPem)) {
      throw new Error(
        `no gateway certificate to store: pki-init hands the gateway's leaf over in memory ("${GATEWAY_LEAF_HANDOFF}"), so gateway-cert must run in the same process as pki-init (\`bootgate run\`), or set gateway.importCert; ` +
          (tls ? "the one in Vault no longer chains to this boot's CA or has expired" : `Vault has none at ${key}`),
      );
    }
    return { summary: `kept the certificate in Vault, sha256 ${tls.fingerprint.slice(0, 11)}…` };
  }
}

export const gatewayCertEntry: StageEntry = {
  name: "gateway-cert",
  enabled: (config) => config.gateway.routes !== undefined,
  create: (config) => createGatewayCertStage(config),
};
