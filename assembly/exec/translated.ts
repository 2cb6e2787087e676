// What translated code (src/translate) calls in the core besides stepRecord (exec/run.ts): the
// flag helpers, so that a translation reads the lazy flags with the interpreter's own code.
import { getCF, testCC } from "./flags";

/** CF of the current flags state (lazy or not). */
export function jitGetCF(): u32 { return getCF(); }

/** 1 when condition `cc` (Intel tttn) holds for the current flags. */
export function jitTestCC(cc: u32): u32 { return testCC(cc) ? 1 : 0; }
