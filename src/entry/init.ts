// What compose/entry/init.mjs uses, declared in package.json `exports` as `bootgate/entry/init`.
// The entry imports the package by name, not files under dist/: a file that moves in src/ breaks
// the build here instead of the init container at boot.
// The init container runs the boot in its own process (`main(["run", …])`, the same code and
// exit codes as `bootgate run`) instead of starting a second node for it: that second start and
// its module loading were ~0.3 s of the compose first boot's critical path (bench/compose.mjs).
// Heap tuning first, as bin/bootgate.js does for `run` (src/cli/heap-flags.ts).
import "../cli/heap-flags.js";
export { main } from "../cli/main.js";
export { exitCodeFor, messageFor } from "../cli/exit-code.js";
export { loadConfig } from "../config/load.js";
export { ensureDir } from "../fs/atomic-write.js";
export { ensureLocalIkm, writeDerivedAdminPassword } from "../local/local-secrets.js";
export { writeClientCertRoles } from "../db/client-cert-roles-file.js";
export { applyVolumeOwners, parseVolumeOwners } from "../local/volume-owners.js";
export { ALL_STAGES } from "../stages/all.js";
export { preflightStages } from "../stages/registry.js";
