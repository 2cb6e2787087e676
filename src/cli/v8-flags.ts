// V8 settings of the `xenolith` process. This module is the CLI's first import (src/cli/main.ts),
// so they apply before any Wasm module is compiled or instantiated. They change when V8 optimises
// code, never what the code computes.
import { setFlagsFromString } from "node:v8";

/**
 * Dynamic tiering: V8 runs a Wasm function in its baseline compiler (Liftoff) until the function
 * has spent a budget, charged at loop back edges and returns, then recompiles it with TurboFan
 * on a background thread. The core's interpreter loop and iced-x86's decoder are large functions
 * that spend V8's default budget (1.8 M) within a few hundred guest instructions, so even an empty
 * kernel (367 instructions) had ~240 ms of TurboFan compiles: +14 MiB peak RSS, and the process
 * waited for them at exit (`--trace-wasm-compilation-times`). At 100 times the default nothing
 * tiers up in such short runs, while hot code still does within milliseconds (the translation
 * tier's MIPS on alu and mem are unchanged, shared/bench/bench.mjs).
 */
export const WASM_TIERING_BUDGET = 180_000_000;

setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);

/**
 * Lazy validation: V8 validates a Wasm function when it first compiles it (on its first call)
 * instead of validating every function of a module when the module is made. A run calls a small
 * part of iced-x86's decoder and of the core, which were validated when they were built
 * (build/iced-decoder.wasm is instantiated by scripts/build-iced.ts, core.wasm by asc and the
 * test suite): eager validation was ~9% of the instructions an empty kernel's run executed.
 * A translation (src/translate) that failed validation would fail when called instead of when
 * compiled: an internal error either way (the test suite, which does not set this, validates
 * every translation it makes when it makes it).
 */
setFlagsFromString("--wasm-lazy-validation");
