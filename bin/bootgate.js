#!/usr/bin/env node
// Thin launcher: the compiled entry point lives in dist/ (built by `make build`).
import "../dist/cli/entry.js";
