// Pushing and popping a frame on a stack that is not (yet) the current SS:ESP: the new stack of an
// interrupt or call gate, whose pushes must all succeed before any register changes (SDM Vol. 3,
// 6.12.1: a fault while pushing the frame leaves the old state). Each access checks the stack
// segment's limit (expand-up or expand-down, 16- or 32-bit by its B flag) and faults with
// #SS(errCode); pages are checked with the rights of the ring the stack belongs to.
import { ATTR_TYPE_EXPAND_DOWN, ATTR_DB, segBase, segLimit, segAttr } from "../state";
import { faultCode, pending, SS as SS_VEC } from "./exception";
import { readLinSlow, writeLinSlow } from "../mmu/access";
import { ACC_USER, ACC_WRITE } from "../mmu/walk";
import { tlbEntry, TLB_VALID, TLB_USER, TLB_WRITE_SUP, TLB_WRITE_USER, TLB_NOCODE } from "../mmu/tlb";
import { S_GPR, R_ESP, SR_SS, S_TLB_HITS, RAM_BASE } from "../layout";

let fBase: u32 = 0;
let fLimit: u32 = 0;
let fAttr: u32 = 0;
let fAcc: u32 = 0;
let fErr: u32 = 0;
/** TLB rights for the fast paths: a read, and a write needing no code check, by ring fAcc */
let fReadNeed: u32 = 0;
let fWriteNeed: u32 = 0;
/** the stack pointer of the frame being built (ESP, or SP in its low 16 bits for a 16-bit stack) */
export let frameSp: u32 = 0;

/** Start a frame on the stack base/limit/attr at `sp`, for ring `ring`; faults are #SS(errCode). */
export function frameBegin(base: u32, limit: u32, attr: u32, sp: u32, ring: u32, errCode: u32): void {
  fBase = base; fLimit = limit; fAttr = attr; frameSp = sp;
  fAcc = ring == 3 ? ACC_USER : 0;
  fErr = errCode;
  fReadNeed = ring == 3 ? TLB_VALID | TLB_USER : TLB_VALID;
  fWriteNeed = ring == 3 ? TLB_VALID | TLB_USER | TLB_WRITE_USER | TLB_NOCODE : TLB_VALID | TLB_WRITE_SUP | TLB_NOCODE;
}

/** Start a frame on the current SS:ESP. */
export function frameBeginCurrent(ring: u32, errCode: u32): void {
  frameBegin(segBase(SR_SS), segLimit(SR_SS), segAttr(SR_SS), load<u32>(R_ESP << 2, S_GPR), ring, errCode);
}

@inline function wide(): bool { return (fAttr & ATTR_DB) != 0; }

/** Linear address of `size` bytes at stack offset `off`, or raise #SS(fErr) and return 0. */
function stackLin(off: u32, size: u32): u32 {
  const last = off + size - 1;
  if (fAttr & ATTR_TYPE_EXPAND_DOWN) {
    // expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (SDM Vol. 3, 5.3)
    const upper: u32 = wide() ? 0xFFFFFFFF : 0xFFFF;
    if (off <= fLimit || last > upper || last < off) { faultCode(SS_VEC, fErr); return 0; }
  } else if (off > fLimit || fLimit - off < size - 1) {
    faultCode(SS_VEC, fErr); return 0;
  }
  return fBase + off;
}

/** Push `size` (2 or 4) bytes. Returns false with a fault pending. */
export function framePush(v: u32, size: u32): bool {
  const sp: u32 = wide() ? frameSp - size : ((frameSp & 0xFFFF) - size) & 0xFFFF;
  const lin = stackLin(sp, size);
  if (pending) return false;
  // An aligned store on a page cached writable and free of code: writeLinSlow's TLB hit, inline.
  const e = tlbEntry(lin >>> 12);
  if ((e & fWriteNeed) == fWriteNeed && (lin & (size - 1)) == 0) {
    store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + 1);
    const at: usize = RAM_BASE + ((e & 0xFFFFF000) | (lin & 0xFFF));
    if (size == 4) store<u32>(at, v); else store<u16>(at, v);
  } else {
    writeLinSlow(lin, v, size, fAcc | ACC_WRITE);
    if (pending) return false;
  }
  frameSp = wide() ? sp : (frameSp & 0xFFFF0000) | sp;
  return true;
}

/** Read `size` bytes `depth` bytes above the frame's stack pointer (no pointer change). */
export function framePeek(depth: u32, size: u32): u32 {
  const off: u32 = wide() ? frameSp + depth : (frameSp + depth) & 0xFFFF;
  const lin = stackLin(off, size);
  if (pending) return 0;
  const e = tlbEntry(lin >>> 12);
  if ((e & fReadNeed) == fReadNeed && (lin & (size - 1)) == 0) {
    store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + 1);
    const at: usize = RAM_BASE + ((e & 0xFFFFF000) | (lin & 0xFFF));
    return size == 4 ? load<u32>(at) : <u32>load<u16>(at);
  }
  return readLinSlow(lin, size, fAcc);
}

/** Move the frame's stack pointer up by `n` bytes (after peeks). */
export function frameRelease(n: u32): void {
  frameSp = wide() ? frameSp + n : (frameSp & 0xFFFF0000) | ((frameSp + n) & 0xFFFF);
}

/** The new ESP value to commit: a 16-bit stack changes only SP (SDM Vol. 1, 6.2.3). */
@inline export function frameEsp(): u32 { return frameSp; }
