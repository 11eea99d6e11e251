// What compose/entry/init.mjs uses, declared in package.json `exports` as `bootgate/entry/init`.
// The entry imports the package by name, not files under dist/: a file that moves in src/ breaks
// the build here instead of the init container at boot.
export { exitCodeFor, messageFor } from "../cli/exit-code.js";
export { loadConfig } from "../config/load.js";
export { ensureDir } from "../fs/atomic-write.js";
export { ensureLocalIkm, writeDerivedAdminPassword } from "../local/local-secrets.js";
export { writeClientCertRoles } from "../db/client-cert-roles-file.js";
export { applyVolumeOwners, parseVolumeOwners } from "../local/volume-owners.js";
export { ALL_STAGES } from "../stages/all.js";
export { preflightStages } from "../stages/registry.js";
