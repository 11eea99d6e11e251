// The gateway's key never touches the secrets volume (issue #6): pki-init issues it in memory
// and hands it to gateway-cert through the run's handoff map; gateway-cert stores it in Vault.
//
// No handoff (a `--only` run, or a rerun that kept this boot's ephemeral CA and so could not
// issue) means: the gateway certificate in Vault from an earlier run of this boot stands.
import type { StageContext } from "../runner/stage.js";
import type { PemTriple } from "./pem-triple.js";

export const GATEWAY_LEAF_HANDOFF = "gateway-leaf";

/** The key is never written to the volume; the chain is the intermediate, or an imported leaf's chain. */
export interface GatewayLeaf extends PemTriple {
  /** The gateway's service name (config.gateway.service). */
  service: string;
  /** The stack's trust bundle (ca/ca.pem). */
  caPem: string;
  /** "issued" by the stack's CA in this run, or "imported" from the service's importCert. */
  source: "issued" | "imported";
  serial: string;
  notAfter: Date;
}

export function putGatewayLeaf(handoff: StageContext["handoff"], leaf: GatewayLeaf): void {
  handoff.set(GATEWAY_LEAF_HANDOFF, leaf);
}

/** Takes the leaf out of the map (so the key does not outlive its use), or undefined. */
export function takeGatewayLeaf(handoff: StageContext["handoff"]): GatewayLeaf | undefined {
  const leaf = handoff.get(GATEWAY_LEAF_HANDOFF) as GatewayLeaf | undefined;
  handoff.delete(GATEWAY_LEAF_HANDOFF);
  return leaf;
}
