// Every stage bootgate knows, in boot order. Add a stage here and nowhere else.
import { dbSeedEntry } from "./db-seed.js";
import { gatewayCertEntry } from "./gateway-cert.js";
import { pkiInitEntry } from "./pki-init.js";
import { proxySetupEntry } from "./proxy-setup.js";
import type { StageEntry } from "./registry.js";
import { secretstoreSetupEntry } from "./secretstore-setup.js";

export const ALL_STAGES: readonly StageEntry[] = [pkiInitEntry, secretstoreSetupEntry, dbSeedEntry, gatewayCertEntry, proxySetupEntry];
