// Self-modifying stores that change only constants. A store into decoded code normally makes the
// page's blocks stale (phys.ts invalidateCodePage), and the page is decoded again. When every
// decoded record the stored bytes fall in has them all inside its immediate, or all inside its
// displacement, the records are patched in place instead: the instruction boundaries, opcodes and
// operands stay what they were decoded as, so only the record's IMM or DISP changes, recomputed
// from the stored bytes the way the decoder computes it (src/decode/patch-sites.ts).
//
// PATCH_TABLE lists, per 16-byte code chunk, every record decoded from the chunk's bytes; a chunk
// whose records could not all be listed has its CODE_NOPATCH bit set, and a store into it takes
// the invalidating path.
//
// Self-modifying loops store into the same bytes again and again: the last store patchable()
// allowed is remembered (PATCH_MEMO_*: its bytes, and the records it patches — a few: the same
// instruction is often in two blocks — with where each one's constant is), so that the same store
// again skips the table scans. What patchable()
// reads (CODE_MAP, CODE_NOPATCH, PATCH_TABLE, the listed records' lengths) changes only when the
// host decodes code or a page's code is dropped, and each of those drops the memo
// (src/decode/decoder.ts, Machine.invalidateCode, phys.ts invalidateCodePage).
import {
  PATCH_TABLE_BASE, PATCH_SLOT_BYTES, PATCH_ENTRIES, CODE_MAP_BASE, CODE_NOPATCH_BASE,
  CODE_MAP_BYTES_PER_PAGE, CODE_CHUNK_SHIFT, PAGE_PATCH_BASE, S_CODE_PATCHES, RAM_BASE,
  REC_LEN, REC_IMM, REC_DISP, S_PATCH_MEMO_MA, S_PATCH_MEMO_SIZE, S_PATCH_MEMO_N,
  S_PATCH_MEMO_REC, S_PATCH_MEMO_FIELD, S_PATCH_MEMO_KIND,
} from "../layout";

/** PATCH_TABLE slot of code chunk `chunk` (= ma >>> 4); the same hash as patch-sites.ts. */
@inline function slotOf(chunk: u32): usize {
  return PATCH_TABLE_BASE + (((chunk * 0x9E3779B1) >>> 20) * PATCH_SLOT_BYTES);
}

@inline function bitIn(map: usize, mpn: u32, c: u32): bool {
  return (load<u32>(map + mpn * CODE_MAP_BYTES_PER_PAGE + ((c >>> 5) << 2)) & (1 << (c & 31))) != 0;
}

const SEXT: u32 = 0x80;

/**
 * Could a store of page `mpn`'s bytes [lo, hi] (page offsets) be applied by patching records?
 * Every chunk with decoded code must be listed, and every listed record overlapping the bytes
 * must have the overlap inside its immediate or inside its displacement.
 */
export function patchable(mpn: u32, lo: u32, hi: u32): bool {
  const ma0 = (mpn << 12) | lo, ma1 = (mpn << 12) | hi;
  forgetMemo();
  let n: u32 = 0; // records the store falls in, remembered while at most PATCH_MEMO_MAX
  for (let c = lo >>> CODE_CHUNK_SHIFT; c <= hi >>> CODE_CHUNK_SHIFT; c++) {
    if (!bitIn(CODE_MAP_BASE, mpn, c)) continue;
    if (bitIn(CODE_NOPATCH_BASE, mpn, c)) return false;
    const chunk = (mpn << (12 - CODE_CHUNK_SHIFT)) | c;
    const slot = slotOf(chunk);
    if (load<u32>(slot) != chunk + 1) return false;
    const count = load<u32>(slot, 4);
    for (let i: u32 = 0; i < count; i++) {
      const e = slot + 8 + i * 12;
      const start = load<u32>(e);
      const end = start + load<u8>(load<u32>(e, 4), REC_LEN) - 1;
      if (ma1 < start || ma0 > end) continue;
      const a = max(ma0, start) - start, b = min(ma1, end) - start;
      if (!inField(load<u8>(e, 8), load<u8>(e, 9) & ~SEXT, a, b) && !inField(load<u8>(e, 10), load<u8>(e, 11), a, b)) return false;
      if (n < PATCH_MEMO_MAX) remember(n, e, a);
      n++;
    }
  }
  if (n <= PATCH_MEMO_MAX) {
    store<u32>(S_PATCH_MEMO_MA, ma0 + 1);
    store<u32>(S_PATCH_MEMO_SIZE, hi - lo + 1);
    store<u32>(S_PATCH_MEMO_N, n);
  }
  return true;
}

const PATCH_MEMO_MAX: u32 = 4;

/**
 * Remember the `i`-th record the store patches: PATCH_TABLE entry `e`, the store's first byte at
 * offset `a` in the instruction, which chooses the field as patchRecords does.
 */
function remember(i: u32, e: usize, a: u32): void {
  const start = load<u32>(e);
  const immOff = load<u8>(e, 8), imm = load<u8>(e, 9);
  const at = <usize>(i << 2);
  store<u32>(at, load<u32>(e, 4), S_PATCH_MEMO_REC);
  if (inField(immOff, imm & ~SEXT, a, a)) {
    store<u32>(at, start + immOff, S_PATCH_MEMO_FIELD);
    store<u32>(at, REC_IMM | ((imm & ~SEXT) << 8) | (imm & SEXT ? 0x10000 : 0), S_PATCH_MEMO_KIND);
  } else {
    store<u32>(at, start + load<u8>(e, 10), S_PATCH_MEMO_FIELD);
    store<u32>(at, REC_DISP | (<u32>load<u8>(e, 11) << 8) | 0x10000, S_PATCH_MEMO_KIND);
  }
}

/** The store of `size` bytes at `ma` is the remembered one: patchable, patching what it says. */
@inline export function memoHit(ma: u32, size: u32): bool {
  return load<u32>(S_PATCH_MEMO_MA) == ma + 1 && load<u32>(S_PATCH_MEMO_SIZE) == size;
}

/** Forget the remembered store (code was decoded or dropped). */
@inline export function forgetMemo(): void { store<u32>(S_PATCH_MEMO_MA, 0); }

@inline function inField(off: u32, size: u32, a: u32, b: u32): bool {
  return size != 0 && a >= off && b < off + size;
}

/** A constant of `size` bytes at machine address `ma`, zero- or sign-extended (`sext`) to 32 bits. */
function constantAt(ma: u32, size: u32, sext: bool): u32 {
  if (size == 1) return sext ? <u32><i32><i8>load<u8>(ma, RAM_BASE) : <u32>load<u8>(ma, RAM_BASE);
  if (size == 2) return sext ? <u32><i32><i16>load<u16>(ma, RAM_BASE) : <u32>load<u16>(ma, RAM_BASE);
  return load<u32>(ma, RAM_BASE);
}

/** After a store patchable() allowed: recompute IMM/DISP of every record it touched. */
export function patchRecords(mpn: u32, lo: u32, hi: u32): void {
  const ma0 = (mpn << 12) | lo, ma1 = (mpn << 12) | hi;
  if (memoHit(ma0, hi - lo + 1)) {
    const n = load<u32>(S_PATCH_MEMO_N);
    for (let i: u32 = 0; i < n; i++) {
      const at = <usize>(i << 2);
      const kind = load<u32>(at, S_PATCH_MEMO_KIND);
      const v = constantAt(load<u32>(at, S_PATCH_MEMO_FIELD), (kind >>> 8) & 0xFF, (kind & 0x10000) != 0);
      store<u32>(<usize>load<u32>(at, S_PATCH_MEMO_REC) + (kind & 0xFF), v);
    }
    patched(mpn);
    return;
  }
  for (let c = lo >>> CODE_CHUNK_SHIFT; c <= hi >>> CODE_CHUNK_SHIFT; c++) {
    if (!bitIn(CODE_MAP_BASE, mpn, c)) continue;
    const slot = slotOf((mpn << (12 - CODE_CHUNK_SHIFT)) | c);
    const n = load<u32>(slot, 4);
    for (let i: u32 = 0; i < n; i++) {
      const e = slot + 8 + i * 12;
      const start = load<u32>(e);
      const rec = <usize>load<u32>(e, 4);
      const end = start + load<u8>(rec, REC_LEN) - 1;
      if (ma1 < start || ma0 > end) continue;
      const a = max(ma0, start) - start;
      const immOff = load<u8>(e, 8), imm = load<u8>(e, 9);
      if (inField(immOff, imm & ~SEXT, a, a)) {
        store<u32>(rec, constantAt(start + immOff, imm & ~SEXT, (imm & SEXT) != 0), REC_IMM);
      } else {
        const dispOff = load<u8>(e, 10), disp = load<u8>(e, 11);
        store<u32>(rec, constantAt(start + dispOff, disp, true), REC_DISP);
      }
    }
  }
  patched(mpn);
}

/** A store patched records of page `mpn`: bump its PAGE_PATCH, count it. */
@inline function patched(mpn: u32): void {
  store<u32>(mpn << 2, load<u32>(mpn << 2, PAGE_PATCH_BASE) + 1, PAGE_PATCH_BASE);
  store<u64>(S_CODE_PATCHES, load<u64>(S_CODE_PATCHES) + 1);
}

/** Page `mpn`'s code is gone (invalidated): free its chunks' slots and clear its NOPATCH bits. */
export function forgetPatchSites(mpn: u32): void {
  memory.fill(CODE_NOPATCH_BASE + mpn * CODE_MAP_BYTES_PER_PAGE, 0, CODE_MAP_BYTES_PER_PAGE);
  for (let c: u32 = 0; c < (0x1000 >>> CODE_CHUNK_SHIFT); c++) {
    const chunk = (mpn << (12 - CODE_CHUNK_SHIFT)) | c;
    const slot = slotOf(chunk);
    if (load<u32>(slot) == chunk + 1) store<u32>(slot, 0);
  }
}
