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

/**
 * The Wasm address of the `bytes` bytes just below (push) or from (peek) the frame's stack
 * pointer, when accessing them as `size`-byte pushes or peeks one at a time could not fault and
 * would all hit one TLB entry with the rights `need`: a 32-bit expand-up stack, the range within
 * the limit without wrapping, on one page, aligned. Counts the TLB hits those accesses would.
 * 0 otherwise (the caller goes one access at a time, which raises any fault in order).
 */
function frameRange(below: bool, bytes: u32, size: u32, need: u32): usize {
  if ((fAttr & (ATTR_DB | ATTR_TYPE_EXPAND_DOWN)) != ATTR_DB) return 0;
  let off: u32;
  if (below) {
    if (frameSp < bytes) return 0;
    off = frameSp - bytes;
  } else {
    off = frameSp;
    if (off + bytes < off) return 0;
  }
  const last = off + bytes - 1;
  if (last > fLimit) return 0;
  const lin = fBase + off;
  if ((lin & (size - 1)) != 0 || (lin >>> 12) != ((lin + bytes - 1) >>> 12)) return 0;
  const e = tlbEntry(lin >>> 12);
  if ((e & need) != need) return 0;
  store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + bytes / size);
  return RAM_BASE + ((e & 0xFFFFF000) | (lin & 0xFFF));
}

@inline function storeN(at: usize, v: u32, size: u32): void { if (size == 4) store<u32>(at, v); else store<u16>(at, v); }

/**
 * Push the first `n` (1-6) of v0..v5 in that order (v0 at the highest address), each `size`
 * bytes: what n framePush calls do, in one step when frameRange allows. False with a fault
 * pending.
 */
export function framePushN(size: u32, n: u32, v0: u32, v1: u32 = 0, v2: u32 = 0, v3: u32 = 0, v4: u32 = 0, v5: u32 = 0): bool {
  const bytes = n * size;
  const at = frameRange(true, bytes, size, fWriteNeed);
  if (at != 0) {
    let p = at + bytes - size;
    storeN(p, v0, size);
    if (n > 1) { p -= size; storeN(p, v1, size); }
    if (n > 2) { p -= size; storeN(p, v2, size); }
    if (n > 3) { p -= size; storeN(p, v3, size); }
    if (n > 4) { p -= size; storeN(p, v4, size); }
    if (n > 5) { p -= size; storeN(p, v5, size); }
    frameSp -= bytes;
    return true;
  }
  if (!framePush(v0, size)) return false;
  if (n > 1 && !framePush(v1, size)) return false;
  if (n > 2 && !framePush(v2, size)) return false;
  if (n > 3 && !framePush(v3, size)) return false;
  if (n > 4 && !framePush(v4, size)) return false;
  if (n > 5 && !framePush(v5, size)) return false;
  return true;
}

/** The values framePeekN read: frameVal0 at the stack pointer, then upwards. */
export let frameVal0: u32 = 0;
export let frameVal1: u32 = 0;
export let frameVal2: u32 = 0;

/**
 * Read three `size`-byte values at depths 0, size and 2*size into frameVal0..2: what three
 * framePeek calls do, lowest first, in one step when frameRange allows. False with a fault pending.
 */
export function framePeek3(size: u32): bool {
  const at = frameRange(false, 3 * size, size, fReadNeed);
  if (at != 0) {
    if (size == 4) { frameVal0 = load<u32>(at); frameVal1 = load<u32>(at + 4); frameVal2 = load<u32>(at + 8); }
    else { frameVal0 = load<u16>(at); frameVal1 = load<u16>(at + 2); frameVal2 = load<u16>(at + 4); }
    return true;
  }
  frameVal0 = framePeek(0, size); if (pending) return false;
  frameVal1 = framePeek(size, size); if (pending) return false;
  frameVal2 = framePeek(2 * size, size);
  return !pending;
}

/** Move the frame's stack pointer up by `n` bytes (after peeks). */
export function frameRelease(n: u32): void {
  frameSp = wide() ? frameSp + n : (frameSp & 0xFFFF0000) | ((frameSp + n) & 0xFFFF);
}

/** The new ESP value to commit: a 16-bit stack changes only SP (SDM Vol. 1, 6.2.3). */
@inline export function frameEsp(): u32 { return frameSp; }
