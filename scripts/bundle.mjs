// The CLI and the compose entry points as one bundle (dist/bundle/), built from tsc's output.
// Why: a cold `bootgate` process spent ~70 ms resolving, reading and linking some 400 ESM files
// one by one (bench/pki, bench/cold.mjs); every container's `bootgate wait` and the init
// container pay that at each start. Code splitting keeps the per-command lazy imports lazy:
// `wait` still loads only its own chunks.
//
// dist/bundle sits at the same depth as dist/cli and dist/local, so the few paths found from
// import.meta.url (the watchdog, the repo root, the example service) resolve the same from a
// chunk as from tsc's files. Identifiers are kept (no renaming): stack traces under
// BOOTGATE_DEBUG and error names stay readable.
import { rm } from "node:fs/promises";
import { build } from "esbuild";

const outdir = "dist/bundle";
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: {
    cli: "dist/cli/entry.js",
    "entry-init": "dist/entry/init.js",
    "entry-postgres": "dist/entry/postgres.js",
    "entry-dev-vault": "dist/entry/dev-vault.js",
  },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  minifyWhitespace: true,
  minifySyntax: true,
  // dockerode stays in node_modules: its SSH transport (ssh2) finds native parts and wasm
  // through __dirname, which a bundled ESM chunk does not have. It is loaded lazily anyway
  // (src/docker/stack-docker.ts), only when a container is signalled.
  external: ["dockerode"],
  // CommonJS dependencies call require(); an ESM bundle has none of its own.
  banner: { js: "import { createRequire as __bootgateCreateRequire } from 'node:module'; const require = __bootgateCreateRequire(import.meta.url);" },
  logLevel: "warning",
  logOverride: { "require-resolve-not-external": "silent" },
});
