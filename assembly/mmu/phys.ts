// Machine-address (ma) accesses: guest RAM at RAM_BASE in Wasm memory. Addresses past the end of
// RAM read as all ones and ignore writes, as an empty ISA bus does. Stores into a page that holds
// decoded code invalidate its blocks (self-modifying code).
import {
  RAM_BASE, S_RAM_SIZE, PAGE_GEN_BASE, CODE_PAGE_BASE, S_BLOCKS_INVALIDATED, S_BLOCK_STALE,
  S_CUR_BLOCK_PAGE, S_CUR_BLOCK_PAGE2,
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

/** A store hit a code page: its blocks become stale (their GEN no longer matches). */
export function invalidateCodePage(mpn: u32): void {
  store<u8>(mpn, 0, CODE_PAGE_BASE);
  store<u32>(mpn << 2, load<u32>(mpn << 2, PAGE_GEN_BASE) + 1, PAGE_GEN_BASE);
  store<u64>(S_BLOCKS_INVALIDATED, load<u64>(S_BLOCKS_INVALIDATED) + 1);
  if (mpn == load<u32>(S_CUR_BLOCK_PAGE) || mpn == load<u32>(S_CUR_BLOCK_PAGE2)) store<u32>(S_BLOCK_STALE, 1);
}

@inline function beforeStore(ma: u32, size: u32): void {
  const first = ma >>> 12;
  if (isCodePage(first)) invalidateCodePage(first);
  const last = (ma + size - 1) >>> 12;
  if (last != first && isCodePage(last)) invalidateCodePage(last);
}

export function physWrite8(ma: u32, v: u32): void {
  if (!inRam(ma, 1)) return;
  beforeStore(ma, 1);
  store<u8>(ma, v, RAM_BASE);
}
export function physWrite16(ma: u32, v: u32): void {
  if (!inRam(ma, 2)) return;
  beforeStore(ma, 2);
  store<u16>(ma, v, RAM_BASE);
}
export function physWrite32(ma: u32, v: u32): void {
  if (!inRam(ma, 4)) return;
  beforeStore(ma, 4);
  store<u32>(ma, v, RAM_BASE);
}
export function physWrite64(ma: u32, v: u64): void {
  if (!inRam(ma, 8)) return;
  beforeStore(ma, 8);
  store<u64>(ma, v, RAM_BASE);
}
