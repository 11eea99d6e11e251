// The sections of `bootgate status`, in the order they print. Add a provider here.
import { agentStatus } from "./agent-status.js";
import { containersStatus } from "./containers-status.js";
import { dbStatus } from "./db-status.js";
import { gatesStatus } from "./gates-status.js";
import { gatewayStatus } from "./gateway-status.js";
import { issuerStatus } from "./issuer-status.js";
import { pkiStatus } from "./pki-status.js";
import type { StatusProvider } from "./section.js";
import { vaultStatus } from "./vault-status.js";
import { vaultNodesStatus } from "./vault-nodes-status.js";

export const STATUS_PROVIDERS: readonly StatusProvider[] = [
  gatesStatus,
  pkiStatus,
  issuerStatus,
  vaultStatus,
  vaultNodesStatus,
  dbStatus,
  gatewayStatus,
  agentStatus,
  containersStatus,
];
