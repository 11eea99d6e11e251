// What scripts/dev-vault.mjs (`make vault`) uses, declared in package.json `exports` as
// `bootgate/entry/dev-vault` (see ./init.ts for why by name).
export { loadConfig } from "../config/load.js";
export { startOpenBao } from "../servers/openbao-process.js";
export { vaultBootConfigPath } from "../vault/server-boot-config.js";
