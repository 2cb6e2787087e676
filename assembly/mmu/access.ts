// Guest memory accesses: segmented (seg:offset) → linear → machine. The fast paths are one
// segment-attribute test, one limit compare, one TLB load and a masked compare; everything else
// (TLB miss, page-crossing access, store into a code page, RAM holes) goes to the slow paths.
// On a fault the functions raise it (priv/exception.ts `pending`) and return 0: callers must test
// `pending` before changing any state.
import { RAM_BASE, S_TLB_HITS, S_TLB_MISSES, S_CPL, S_CR0, S_FLAGS } from "../layout";
import { tlbEntry, readNeed, writeNeed, TLB_VALID, TLB_USER, TLB_WRITE_USER, TLB_WRITE_SUP, TLB_NX } from "./tlb";
import { walk, ACC_WRITE, ACC_USER, ACC_FETCH, NO_MA } from "./walk";
import {
  physRead8, physRead16, physRead32, physWrite8, physWrite16, physWrite32,
} from "./phys";
import { pending, gp, faultCode, SS as SS_VEC, AC as AC_VEC } from "../priv/exception";
import {
  segAttr, segLimit, segBase, ATTR_FAST_READ, ATTR_FAST_WRITE, ATTR_USABLE, ATTR_TYPE_CODE,
  ATTR_TYPE_WRITABLE, ATTR_TYPE_EXPAND_DOWN, ATTR_DB,
} from "../state";
import { SR_SS } from "../layout";

@inline export function countHit(): void { store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + 1); }

/** The access kind of an explicit access at the current CPL. */
@inline export function userAcc(): u32 { return load<u32>(S_CPL) == 3 ? ACC_USER : 0; }

/** Translate with the TLB, walking on a miss. Returns the machine address or NO_MA (#PF pending). */
export function translate(lin: u32, acc: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  let need = TLB_VALID;
  if (acc & ACC_USER) need |= TLB_USER;
  if (acc & ACC_WRITE) need |= acc & ACC_USER ? TLB_WRITE_USER : TLB_WRITE_SUP;
  if ((e & need) == need && !((acc & ACC_FETCH) && (e & TLB_NX))) {
    countHit();
    return (e & 0xFFFFF000) | (lin & 0xFFF);
  }
  store<u64>(S_TLB_MISSES, load<u64>(S_TLB_MISSES) + 1);
  return walk(lin, acc);
}

/** translate() for an instruction fetch with its TLB hit inlined (the run loop's block lookup). */
@inline export function translateFetch(lin: u32, acc: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  const need = acc & ACC_USER ? TLB_VALID | TLB_USER : TLB_VALID;
  if ((e & (need | TLB_NX)) == need) { countHit(); return (e & 0xFFFFF000) | (lin & 0xFFF); }
  return translate(lin, acc); // the same check fails there: a miss, counted, and a walk
}

/**
 * The fetch at `lin` still hits a TLB entry for machine page `mpn` with the rights `acc` needs:
 * counted as the hit translate() would count. False, with nothing counted, otherwise.
 */
@inline export function fetchHitsPage(lin: u32, acc: u32, mpn: u32): bool {
  const e = tlbEntry(lin >>> 12);
  const need = acc & ACC_USER ? TLB_VALID | TLB_USER : TLB_VALID;
  if ((e & (need | TLB_NX)) != need || (e >>> 12) != mpn) return false;
  countHit();
  return true;
}

/**
 * Alignment check (SDM Vol. 3, 6.15 "#AC"): with CR0.AM and EFLAGS.AC set, a misaligned data
 * access at CPL 3 raises #AC(0), before any page-table check (what the host CPU does). The fast
 * paths take only aligned 16/32-bit accesses, so every misaligned one comes through here.
 * Returns true with #AC pending.
 */
function misalignedUser(lin: u32, size: u32, acc: u32): bool {
  if (size == 1 || (lin & (size - 1)) == 0 || !(acc & ACC_USER) || (acc & ACC_FETCH)) return false;
  if (!(load<u32>(S_CR0) & CR0_AM) || !(load<u32>(S_FLAGS) & EFLAGS_AC)) return false;
  faultCode(AC_VEC, 0);
  return true;
}
/** The alignment check for an access the caller splits (CMPXCHG8B's 8 bytes): true with #AC pending. */
export function alignmentFault(lin: u32, size: u32): bool { return misalignedUser(lin, size, userAcc()); }
const CR0_AM: u32 = 1 << 18;
const EFLAGS_AC: u32 = 1 << 18;

// ---- linear reads (explicit accesses at the current CPL) ----

@inline export function readLin8(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & readNeed) == readNeed) { countHit(); return load<u8>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE); }
  return readLinSlow(lin, 1, userAcc());
}
@inline export function readLin16(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & readNeed) == readNeed && (lin & 1) == 0) { countHit(); return load<u16>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE); }
  return readLinSlow(lin, 2, userAcc());
}
@inline export function readLin32(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & readNeed) == readNeed && (lin & 3) == 0) { countHit(); return load<u32>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE); }
  return readLinSlow(lin, 4, userAcc());
}

/** Any read: `acc` says with which rights (0 = supervisor, for descriptor tables and the TSS). */
export function readLinSlow(lin: u32, size: u32, acc: u32): u32 {
  if (misalignedUser(lin, size, acc)) return 0;
  if (((lin & 0xFFF) + size) > 0x1000) {
    // Page-crossing: byte by byte, low address first; a fault names the first byte it hits.
    let v: u32 = 0;
    for (let i: u32 = 0; i < size; i++) {
      const ma = translate(lin + i, acc);
      if (ma == NO_MA && pending) return 0;
      v |= physRead8(ma) << (i << 3);
    }
    return v;
  }
  const ma = translate(lin, acc);
  if (ma == NO_MA && pending) return 0;
  return size == 1 ? physRead8(ma) : size == 2 ? physRead16(ma) : physRead32(ma);
}

/**
 * An implicit supervisor read of 4 bytes (descriptor tables, the IDT, the TSS; SDM Vol. 3, 4.6):
 * readLinSlow(lin, 4, 0) with its TLB hit inline.
 */
@inline export function readSys32(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & TLB_VALID) && (lin & 3) == 0) { countHit(); return load<u32>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE); }
  return readLinSlow(lin, 4, 0);
}
/** readLinSlow(lin, 2, 0) with its TLB hit inline. */
@inline export function readSys16(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & TLB_VALID) && (lin & 1) == 0) { countHit(); return load<u16>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE); }
  return readLinSlow(lin, 2, 0);
}

/**
 * An implicit supervisor read of the 8 bytes of a descriptor or gate: the low dword is the result,
 * the high one is left in `sysHi`. With both halves on one cached page, one TLB lookup (counted as
 * the two hits of two reads); otherwise the two reads, low first. Returns 0 with a fault pending.
 */
export let sysHi: u32 = 0;
export function readSys64(lin: u32): u32 {
  const e = tlbEntry(lin >>> 12);
  if ((e & TLB_VALID) && (lin & 7) == 0) {
    store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + 2);
    const v = load<u64>((e & 0xFFFFF000) | (lin & 0xFFF), RAM_BASE);
    sysHi = u32(v >>> 32);
    return u32(v);
  }
  const lo = readLinSlow(lin, 4, 0);
  if (pending) return 0;
  const hi = readLinSlow(lin + 4, 4, 0);
  if (pending) return 0;
  sysHi = hi;
  return lo;
}

// ---- linear writes ----

@inline export function writeLin8(lin: u32, v: u32): void {
  const e = tlbEntry(lin >>> 12);
  if ((e & writeNeed) == writeNeed) { countHit(); store<u8>((e & 0xFFFFF000) | (lin & 0xFFF), v, RAM_BASE); return; }
  writeLinSlow(lin, v, 1, userAcc() | ACC_WRITE);
}
@inline export function writeLin16(lin: u32, v: u32): void {
  const e = tlbEntry(lin >>> 12);
  if ((e & writeNeed) == writeNeed && (lin & 1) == 0) { countHit(); store<u16>((e & 0xFFFFF000) | (lin & 0xFFF), v, RAM_BASE); return; }
  writeLinSlow(lin, v, 2, userAcc() | ACC_WRITE);
}
@inline export function writeLin32(lin: u32, v: u32): void {
  const e = tlbEntry(lin >>> 12);
  if ((e & writeNeed) == writeNeed && (lin & 3) == 0) { countHit(); store<u32>((e & 0xFFFFF000) | (lin & 0xFFF), v, RAM_BASE); return; }
  writeLinSlow(lin, v, 4, userAcc() | ACC_WRITE);
}

/** Any write; `acc` must include ACC_WRITE. A page-crossing write checks both pages before storing. */
export function writeLinSlow(lin: u32, v: u32, size: u32, acc: u32): void {
  if (misalignedUser(lin, size, acc)) return;
  if (((lin & 0xFFF) + size) > 0x1000) {
    const ma0 = translate(lin, acc);
    if (ma0 == NO_MA && pending) return;
    const second = (lin | 0xFFF) + 1;
    const ma1 = translate(second, acc);
    if (ma1 == NO_MA && pending) return;
    for (let i: u32 = 0; i < size; i++) {
      const l = lin + i;
      const ma = l < second ? ma0 + i : ma1 + (l - second);
      physWrite8(ma, (v >> (i << 3)) & 0xFF);
    }
    return;
  }
  const ma = translate(lin, acc);
  if (ma == NO_MA && pending) return;
  if (size == 1) physWrite8(ma, v); else if (size == 2) physWrite16(ma, v); else physWrite32(ma, v);
}

/** Check that `size` bytes at `lin` may be written (both pages of a crossing access), faulting if not. */
export function probeWrite(lin: u32, size: u32): bool {
  const acc = userAcc() | ACC_WRITE;
  const e = tlbEntry(lin >>> 12);
  if ((e & writeNeed) == writeNeed && (lin & (size - 1)) == 0) return true;
  if (misalignedUser(lin, size, acc)) return false;
  if (translate(lin, acc) == NO_MA && pending) return false;
  if (((lin & 0xFFF) + size) > 0x1000) {
    if (translate((lin | 0xFFF) + 1, acc) == NO_MA && pending) return false;
  }
  return true;
}

@inline export function readLinN(lin: u32, size: u32): u32 {
  return size == 4 ? readLin32(lin) : size == 2 ? readLin16(lin) : readLin8(lin);
}
@inline export function writeLinN(lin: u32, v: u32, size: u32): void {
  if (size == 4) writeLin32(lin, v); else if (size == 2) writeLin16(lin, v); else writeLin8(lin, v);
}

// ---- segmentation (SDM Vol. 3, 5.3 limit checking; 5.4 type checking) ----

/** The #GP or #SS a segment violation raises: #SS(0) for SS, else #GP(0). */
function segFault(seg: u32): void {
  if (seg == SR_SS) faultCode(SS_VEC, 0); else gp(0);
}

/** Linear address of seg:off for a `size`-byte read, or raise #GP/#SS (pending) and return 0. */
@inline export function segRead(seg: u32, off: u32, size: u32): u32 {
  const attr = segAttr(seg);
  const limit = segLimit(seg);
  if ((attr & ATTR_FAST_READ) && off <= limit && limit - off >= size - 1) return segBase(seg) + off;
  return segCheckSlow(seg, off, size, false);
}
/** Linear address of seg:off for a `size`-byte write, or raise #GP/#SS (pending) and return 0. */
@inline export function segWrite(seg: u32, off: u32, size: u32): u32 {
  const attr = segAttr(seg);
  const limit = segLimit(seg);
  if ((attr & ATTR_FAST_WRITE) && off <= limit && limit - off >= size - 1) return segBase(seg) + off;
  return segCheckSlow(seg, off, size, true);
}

export function segCheckSlow(seg: u32, off: u32, size: u32, write: bool): u32 {
  const attr = segAttr(seg);
  if (!(attr & ATTR_USABLE)) { segFault(seg); return 0; }
  const code = (attr & ATTR_TYPE_CODE) != 0;
  if (write && (code || !(attr & ATTR_TYPE_WRITABLE))) { segFault(seg); return 0; }
  if (!write && code && !(attr & ATTR_TYPE_WRITABLE)) { segFault(seg); return 0; }
  const limit = segLimit(seg);
  const last = off + size - 1;
  if (!code && (attr & ATTR_TYPE_EXPAND_DOWN)) {
    // Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF (B flag).
    const upper: u32 = attr & ATTR_DB ? 0xFFFFFFFF : 0xFFFF;
    if (off <= limit || last > upper || last < off) { segFault(seg); return 0; }
  } else {
    if (off > limit || limit - off < size - 1) { segFault(seg); return 0; }
  }
  return segBase(seg) + off;
}

// ---- segmented accesses: what instruction handlers use ----

@inline export function read8(seg: u32, off: u32): u32 {
  const lin = segRead(seg, off, 1); if (pending) return 0;
  return readLin8(lin);
}
@inline export function read16(seg: u32, off: u32): u32 {
  const lin = segRead(seg, off, 2); if (pending) return 0;
  return readLin16(lin);
}
@inline export function read32(seg: u32, off: u32): u32 {
  const lin = segRead(seg, off, 4); if (pending) return 0;
  return readLin32(lin);
}
@inline export function readN(seg: u32, off: u32, size: u32): u32 {
  const lin = segRead(seg, off, size); if (pending) return 0;
  return readLinN(lin, size);
}
@inline export function write8(seg: u32, off: u32, v: u32): void {
  const lin = segWrite(seg, off, 1); if (pending) return;
  writeLin8(lin, v);
}
@inline export function write16(seg: u32, off: u32, v: u32): void {
  const lin = segWrite(seg, off, 2); if (pending) return;
  writeLin16(lin, v);
}
@inline export function write32(seg: u32, off: u32, v: u32): void {
  const lin = segWrite(seg, off, 4); if (pending) return;
  writeLin32(lin, v);
}
@inline export function writeN(seg: u32, off: u32, v: u32, size: u32): void {
  const lin = segWrite(seg, off, size); if (pending) return;
  writeLinN(lin, v, size);
}

/**
 * Read-modify-write: check the write first (a fault reports W=1 as on the CPU), then read.
 * Returns the value; the caller stores the result with writeN(seg, off, v, size), which cannot fault.
 */
export function readForWrite(seg: u32, off: u32, size: u32): u32 {
  const lin = segWrite(seg, off, size); if (pending) return 0;
  if (!probeWrite(lin, size)) return 0;
  return readLinN(lin, size);
}
