// What translated code (src/translate) calls in the core besides stepRecord (exec/run.ts): the
// flag helpers, so that a translation reads the lazy flags with the interpreter's own code.
import { getCF, testCC, getEflags } from "./flags";
import { stepOne, STEP_NEXT } from "./run";
import { REC_SIZE, EXIT_NONE, S_FLAGS, S_FLAGS_LAZY, RAM_BASE } from "../layout";
import { storeEffect, STORE_INVALIDATES, STORE_PATCH } from "../mmu/phys";
import { patchRecords } from "../mmu/patch";

/** CF of the current flags state (lazy or not). */
export function jitGetCF(): u32 { return getCF(); }

/** 1 when condition `cc` (Intel tttn) holds for the current flags. */
export function jitTestCC(cc: u32): u32 { return testCC(cc) ? 1 : 0; }

/** EFLAGS (lazy bits computed). */
export function jitEflags(): u32 { return getEflags(); }

/**
 * Make every lazy flag explicit (FLAGS_LAZY = 0), EFLAGS unchanged: translations keep only the
 * lazy ops they compute themselves (32-bit ADD, SUB, LOGIC) in their locals.
 */
export function jitFlattenFlags(): void {
  store<u32>(S_FLAGS, getEflags());
  store<u32>(S_FLAGS_LAZY, 0);
}

/**
 * Run the records at `from`, `from` + REC_SIZE, … up to `to` with stepRecord (records a translation
 * does not inline, one after the other in a block): STEP_NEXT when the block goes on after `to`,
 * else the first answer other than STEP_NEXT.
 */
export function jitStepRun(from: usize, to: usize): u32 {
  for (let rec = from; rec <= to; rec += REC_SIZE) {
    const x = stepOne(rec);
    if (x != STEP_NEXT) return x;
  }
  return STEP_NEXT;
}

/**
 * Run the records at `from`, `from` + REC_SIZE, … up to `to` with stepRecord: the rest of a block
 * whose translation must stop part-way (a store patched constants it had baked in), so the block
 * ends exactly where the interpreter's would. EXIT_NONE after the last, or the first answer other
 * than STEP_NEXT.
 */
export function jitStepRest(from: usize, to: usize): u32 {
  const x = jitStepRun(from, to);
  return x == STEP_NEXT ? EXIT_NONE : x;
}

/**
 * A translation's store of `size` bytes (1, 2 or 4, within one page) of `v` at machine address
 * `ma`, which its TLB entry lets the code write but for TLB_NOCODE (the page holds decoded code):
 * done as phys.ts physWriteN does it when it hits no decoded code, or only constants (the records
 * are patched): 0. A store that would invalidate code is not done: 1, and the translation runs the
 * record in the core (stepRecord), where it invalidates.
 */
export function jitCodeStore(ma: u32, v: u32, size: u32): u32 {
  const effect = storeEffect(ma, size);
  if (effect == STORE_INVALIDATES) return 1;
  if (size == 4) store<u32>(ma, v, RAM_BASE);
  else if (size == 2) store<u16>(ma, v, RAM_BASE);
  else store<u8>(ma, v, RAM_BASE);
  if (effect == STORE_PATCH) patchRecords(ma >>> 12, ma & 0xFFF, (ma + size - 1) & 0xFFF);
  return 0;
}
