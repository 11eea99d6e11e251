// Every stage bootgate knows, in boot order. Add a stage here and nowhere else.
import { dbSeedEntry } from "./db-seed.js";
import { pkiInitEntry } from "./pki-init.js";
import type { StageEntry } from "./registry.js";
import { secretstoreSetupEntry } from "./secretstore-setup.js";

export const ALL_STAGES: readonly StageEntry[] = [pkiInitEntry, secretstoreSetupEntry, dbSeedEntry];
