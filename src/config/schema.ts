// The whole config: the public keys the README documents, plus one section per part of the stack.
// Strict objects everywhere: a typo is reported, not silently ignored.
import { z } from "zod";
import { duration, path } from "./fields.js";
import { agentSection } from "./sections/agent.js";
import { dockerSection } from "./sections/docker.js";
import { gatewaySection } from "./sections/gateway.js";
import { pkiSection } from "./sections/pki.js";
import { postgresSection } from "./sections/postgres.js";
import { servicesSection } from "./sections/services.js";
import { vaultSection } from "./sections/vault.js";

const stageSettings = z.strictObject({
  timeout: duration.optional(),
  retries: z.number().int().min(0).max(100).optional(),
});

export const configSchema = z
  .strictObject({
    secretsDir: path.default("./secrets-volume"),
    stateDir: path.default("./state"),
    pki: pkiSection,
    services: servicesSection,
    vault: vaultSection,
    postgres: postgresSection,
    gateway: gatewaySection,
    docker: dockerSection,
    agent: agentSection,
    /** Per-stage overrides of timeout and retries, keyed by stage name. */
    stages: z.record(z.string(), stageSettings).default({}),
  })
  .superRefine((c, ctx) => {
    if (c.pki.issuer !== "vault") return;
    // Vault's PKI engine needs Vault in the stack, and pki-init needs the IKM to seal the intermediate for it.
    if (!c.services.some((s) => s.name === c.vault.service))
      ctx.addIssue({
        code: "custom",
        path: ["pki", "issuer"],
        message: `expected a service named \`${c.vault.service}\` (vault.service) for issuer \`vault\``,
      });
    if (c.vault.ikm === undefined) ctx.addIssue({ code: "custom", path: ["pki", "issuer"], message: "expected vault.ikm for issuer `vault`" });
    if (c.vault.pkiMount === c.vault.kvMount)
      ctx.addIssue({ code: "custom", path: ["vault", "pkiMount"], message: "expected a mount other than vault.kvMount" });
  });

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ServiceConfig = ParsedConfig["services"][number];
