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

export const configSchema = z.strictObject({
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
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type ServiceConfig = ParsedConfig["services"][number];
