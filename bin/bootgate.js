#!/usr/bin/env node
// Thin launcher: the CLI is bundled into dist/bundle/ by `make build` (scripts/bundle.mjs: one
// file to load instead of some 400, which is most of a cold command's start).
import "../dist/bundle/cli.js";
