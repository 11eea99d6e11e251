// Every stage bootgate knows, in boot order. Add a stage here and nowhere else.
import { pkiInitEntry } from "./pki-init.js";
import type { StageEntry } from "./registry.js";

export const ALL_STAGES: readonly StageEntry[] = [pkiInitEntry];
