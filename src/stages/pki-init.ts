// pki-init: the stack's CA and a certificate per service, then gate pki-ready. The first stage
// of every boot; it needs nothing. The gateway's leaf goes to gateway-cert in memory.
import { putGatewayLeaf } from "../pki/gateway-handoff.js";
import { provisionPki } from "../pki/provision.js";
import type { Stage } from "../runner/stage.js";
import type { StageEntry } from "./registry.js";

export const PKI_READY = "pki-ready";

export const pkiInitEntry: StageEntry = {
  name: "pki-init",
  enabled: () => true,
  create: (): Stage => ({
    name: "pki-init",
    needs: [],
    opens: [PKI_READY],
    // Nothing here is worth retrying: bad material stays bad, and a full disk stays full.
    retries: 0,
    async run(ctx) {
      const result = await provisionPki(ctx.config, { log: (line) => ctx.log.info(line) });
      if (result.gatewayLeaf) putGatewayLeaf(ctx.handoff, result.gatewayLeaf);
      return { summary: result.summary };
    },
  }),
};
