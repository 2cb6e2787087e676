// The command is three CommonJS bundles (package.json build:ts), so that a bare kernel's run
// loads, compiles and keeps only what it needs (-8% of the instructions an empty kernel's run
// executed): dist/cli.cjs (the command, the bare PC, the core, the decoder, the translator),
// dist/cli-pv.cjs (src/cli/pv.ts: PV kernels, with the hypervisor and the domain builder) and
// dist/cli-bench.cjs (src/bench/action.ts: the benchmark). A part has its own copy of the modules
// it shares with dist/cli.cjs: only plain values (flags, numbers, strings, thrown errors read by
// their fields) pass between them.
import { createRequire } from "node:module";
import type * as Pv from "./pv.ts";
import type * as Bench from "../bench/action.ts";

interface Parts { pv: typeof Pv; bench: typeof Bench }

/** Load a part (beside dist/cli.cjs, which this file is bundled into). */
export function part<K extends keyof Parts>(name: K): Parts[K] {
  return createRequire(import.meta.url)(`./cli-${name}.cjs`) as Parts[K];
}
