// Machine-address (ma) accesses: guest RAM at RAM_BASE in Wasm memory. Addresses past the end of
// RAM read as all ones and ignore writes, as an empty ISA bus does. Stores into a page that holds
// decoded code invalidate its blocks (self-modifying code) — only when they touch the 16-byte
// chunks the code came from, so data that shares a page with code (a counter beside a handler)
// does not throw the page's blocks away on every store; and a store that changes only immediates
// or displacements patches the records in place (patch.ts).
import { patchable, patchRecords, forgetPatchSites, memoHit, forgetMemo } from "./patch";
import {
  RAM_BASE, S_RAM_SIZE, PAGE_GEN_BASE, CODE_PAGE_BASE, S_BLOCKS_INVALIDATED, S_BLOCK_STALE,
  S_CUR_BLOCK_PAGE, S_CUR_BLOCK_PAGE2, CODE_MAP_BASE, CODE_MAP_BYTES_PER_PAGE, CODE_CHUNK_SHIFT,
} from "../layout";

@inline export function ramSize(): u32 { return load<u32>(S_RAM_SIZE); }
@inline export function inRam(ma: u32, size: u32): bool {
  const rs = ramSize();
  return ma < rs && rs - ma >= size;
}

export function physRead8(ma: u32): u32 { return inRam(ma, 1) ? load<u8>(ma, RAM_BASE) : 0xFF; }
export function physRead16(ma: u32): u32 { return inRam(ma, 2) ? load<u16>(ma, RAM_BASE) : 0xFFFF; }
export function physRead32(ma: u32): u32 { return inRam(ma, 4) ? load<u32>(ma, RAM_BASE) : 0xFFFFFFFF; }
export function physRead64(ma: u32): u64 { return inRam(ma, 8) ? load<u64>(ma, RAM_BASE) : 0xFFFFFFFFFFFFFFFF; }

@inline export function isCodePage(mpn: u32): bool { return load<u8>(mpn, CODE_PAGE_BASE) != 0; }

/** Does decoded code cover any of bytes [lo, hi] (offsets in page `mpn`)? */
function codeIn(mpn: u32, lo: u32, hi: u32): bool {
  const map: usize = CODE_MAP_BASE + mpn * CODE_MAP_BYTES_PER_PAGE;
  for (let c = lo >>> CODE_CHUNK_SHIFT; c <= hi >>> CODE_CHUNK_SHIFT; c++) {
    if (load<u32>(map + ((c >>> 5) << 2)) & (1 << (c & 31))) return true;
  }
  return false;
}

/** A store hit code: the page's blocks become stale (their GEN no longer matches). */
export function invalidateCodePage(mpn: u32): void {
  store<u8>(mpn, 0, CODE_PAGE_BASE);
  memory.fill(CODE_MAP_BASE + mpn * CODE_MAP_BYTES_PER_PAGE, 0, CODE_MAP_BYTES_PER_PAGE);
  forgetPatchSites(mpn);
  forgetMemo();
  store<u32>(mpn << 2, load<u32>(mpn << 2, PAGE_GEN_BASE) + 1, PAGE_GEN_BASE);
  store<u64>(S_BLOCKS_INVALIDATED, load<u64>(S_BLOCKS_INVALIDATED) + 1);
  if (mpn == load<u32>(S_CUR_BLOCK_PAGE) || mpn == load<u32>(S_CUR_BLOCK_PAGE2)) store<u32>(S_BLOCK_STALE, 1);
}

/** storeEffect(): what a store does to decoded code */
export const STORE_PLAIN: u32 = 0;
export const STORE_PATCH: u32 = 1;
export const STORE_INVALIDATES: u32 = 2;

/**
 * What a store of `size` bytes at `ma` within one page does to decoded code: nothing
 * (STORE_PLAIN), patch records after it (STORE_PATCH: it hits only constants), or invalidate the
 * page (STORE_INVALIDATES), which the caller does.
 */
@inline export function storeEffect(ma: u32, size: u32): u32 {
  if (memoHit(ma, size)) return STORE_PATCH;
  const mpn = ma >>> 12;
  if (!isCodePage(mpn) || !codeIn(mpn, ma & 0xFFF, (ma + size - 1) & 0xFFF)) return STORE_PLAIN;
  return patchable(mpn, ma & 0xFFF, (ma + size - 1) & 0xFFF) ? STORE_PATCH : STORE_INVALIDATES;
}

/**
 * A store of `size` bytes at `ma` is about to happen: invalidate the code it hits, or return true
 * when it hits only constants of decoded records (one page), to be patched after the store.
 */
@inline function beforeStore(ma: u32, size: u32): bool {
  const first = ma >>> 12;
  const end = ma + size - 1;
  const last = end >>> 12;
  if (last == first) {
    const effect = storeEffect(ma, size);
    if (effect == STORE_PATCH) return true;
    if (effect == STORE_INVALIDATES) invalidateCodePage(first);
  } else {
    if (isCodePage(first) && codeIn(first, ma & 0xFFF, 0xFFF)) invalidateCodePage(first);
    if (isCodePage(last) && codeIn(last, 0, end & 0xFFF)) invalidateCodePage(last);
  }
  return false;
}

export function physWrite8(ma: u32, v: u32): void {
  if (!inRam(ma, 1)) return;
  const patch = beforeStore(ma, 1);
  store<u8>(ma, v, RAM_BASE);
  if (patch) patchRecords(ma >>> 12, ma & 0xFFF, ma & 0xFFF);
}
export function physWrite16(ma: u32, v: u32): void {
  if (!inRam(ma, 2)) return;
  const patch = beforeStore(ma, 2);
  store<u16>(ma, v, RAM_BASE);
  if (patch) patchRecords(ma >>> 12, ma & 0xFFF, (ma + 1) & 0xFFF);
}
export function physWrite32(ma: u32, v: u32): void {
  if (!inRam(ma, 4)) return;
  const patch = beforeStore(ma, 4);
  store<u32>(ma, v, RAM_BASE);
  if (patch) patchRecords(ma >>> 12, ma & 0xFFF, (ma + 3) & 0xFFF);
}
export function physWrite64(ma: u32, v: u64): void {
  if (!inRam(ma, 8)) return;
  const patch = beforeStore(ma, 8);
  store<u64>(ma, v, RAM_BASE);
  if (patch) patchRecords(ma >>> 12, ma & 0xFFF, (ma + 7) & 0xFFF);
}
