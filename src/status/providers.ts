// The sections of `bootgate status`, in the order they print. Add a provider here.
import { gatesStatus } from "./gates-status.js";
import { pkiStatus } from "./pki-status.js";
import type { StatusProvider } from "./section.js";

export const STATUS_PROVIDERS: readonly StatusProvider[] = [gatesStatus, pkiStatus];
