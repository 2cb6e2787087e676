#!/usr/bin/env node
// Entry point of the `xenolith` command: the CLI bundled by `npm run build` (esbuild).
import "../dist/cli.mjs";
