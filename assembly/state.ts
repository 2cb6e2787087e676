// Typed accessors for the CPU state in Wasm memory (offsets from the generated layout).
// Register numbers follow the ModRM encoding; 8-bit registers 0-3 are AL CL DL BL, 4-7 AH CH DH BH.
import {
  S_GPR, S_EIP, S_SEG_SEL, S_SEG_BASE, S_SEG_LIMIT, S_SEG_ATTR, S_CPL, S_INSTR_EIP,
} from "./layout";

@inline export function reg32(r: u32): u32 { return load<u32>(r << 2, S_GPR); }
@inline export function setReg32(r: u32, v: u32): void { store<u32>(r << 2, v, S_GPR); }
@inline export function reg16(r: u32): u32 { return load<u16>(r << 2, S_GPR); }
@inline export function setReg16(r: u32, v: u32): void { store<u16>(r << 2, v, S_GPR); }
@inline export function reg8(r: u32): u32 { return load<u8>(((r & 3) << 2) | (r >> 2), S_GPR); }
@inline export function setReg8(r: u32, v: u32): void { store<u8>(((r & 3) << 2) | (r >> 2), v, S_GPR); }

/** Read a general register of `size` bytes (1, 2, 4). */
@inline export function regN(r: u32, size: u32): u32 {
  return size == 4 ? reg32(r) : size == 2 ? reg16(r) : reg8(r);
}
@inline export function setRegN(r: u32, v: u32, size: u32): void {
  if (size == 4) setReg32(r, v); else if (size == 2) setReg16(r, v); else setReg8(r, v);
}

@inline export function eip(): u32 { return load<u32>(S_EIP); }
@inline export function setEip(v: u32): void { store<u32>(S_EIP, v); }
@inline export function instrEip(): u32 { return load<u32>(S_INSTR_EIP); }
@inline export function cpl(): u32 { return load<u32>(S_CPL); }

@inline export function segSel(s: u32): u32 { return load<u32>(s << 2, S_SEG_SEL); }
@inline export function segBase(s: u32): u32 { return load<u32>(s << 2, S_SEG_BASE); }
@inline export function segLimit(s: u32): u32 { return load<u32>(s << 2, S_SEG_LIMIT); }
@inline export function segAttr(s: u32): u32 { return load<u32>(s << 2, S_SEG_ATTR); }

// SEG_ATTR bits: descriptor bits 40-55 shifted down by 8 (so bits 0-3 type, 4 S, 5-6 DPL, 7 P,
// 12 AVL, 14 D/B, 15 G), plus derived bits the access fast path tests.
export const ATTR_TYPE_ACCESSED: u32 = 1 << 0;
export const ATTR_TYPE_WRITABLE: u32 = 1 << 1;    // data: writable; code: readable
export const ATTR_TYPE_EXPAND_DOWN: u32 = 1 << 2; // data: expand-down; code: conforming
export const ATTR_TYPE_CODE: u32 = 1 << 3;
export const ATTR_S: u32 = 1 << 4;
export const ATTR_DPL_SHIFT: u32 = 5;
export const ATTR_P: u32 = 1 << 7;
export const ATTR_DB: u32 = 1 << 14;
export const ATTR_G: u32 = 1 << 15;
/** selector is not null: the segment may be used */
export const ATTR_USABLE: u32 = 1 << 16;
/** reads need only the limit check (usable, expand-up, data or readable code) */
export const ATTR_FAST_READ: u32 = 1 << 17;
/** writes need only the limit check (usable, expand-up, writable data) */
export const ATTR_FAST_WRITE: u32 = 1 << 18;

/** Compute the derived attribute bits from the descriptor bits. */
export function withDerivedAttr(attr: u32, selectorNull: bool): u32 {
  attr &= 0xFFFF;
  if (selectorNull) return attr;
  attr |= ATTR_USABLE;
  const code = (attr & ATTR_TYPE_CODE) != 0;
  const w = (attr & ATTR_TYPE_WRITABLE) != 0;
  const ed = (attr & ATTR_TYPE_EXPAND_DOWN) != 0;
  if (code) {
    if (w) attr |= ATTR_FAST_READ;
  } else if (!ed) {
    attr |= ATTR_FAST_READ;
    if (w) attr |= ATTR_FAST_WRITE;
  }
  return attr;
}
