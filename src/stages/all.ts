// Every stage bootgate knows, in boot order, with its real dependencies. Add a stage here and nowhere else.
import type { AnyStageDefinition } from "../runner/define-stage.js";
import { dbSeedStage } from "./db-seed.js";
import { gatewayCertStage } from "./gateway-cert.js";
import { pkiInitStage } from "./pki-init.js";
import { proxySetupStage } from "./proxy-setup.js";
import { secretstoreSetupStage } from "./secretstore-setup.js";

export const ALL_STAGES: readonly AnyStageDefinition[] = [pkiInitStage(), secretstoreSetupStage(), dbSeedStage(), gatewayCertStage(), proxySetupStage()];
