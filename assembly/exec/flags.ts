// EFLAGS with lazily computed arithmetic flags (the scheme of v86 and Bochs).
//
// FLAGS holds the real EFLAGS except the bits named in FLAGS_LAZY; those are computed on demand
// from the last flag-setting operation (LAZY_OP with operands LAZY_A, LAZY_B, result LAZY_RES and
// operand size LAZY_SIZE = bits - 1). Instructions that write only some arithmetic flags (INC, DEC
// keep CF) first materialise the bits they keep.
import {
  S_FLAGS, S_FLAGS_LAZY, S_LAZY_OP, S_LAZY_A, S_LAZY_B, S_LAZY_RES, S_LAZY_SIZE,
} from "../layout";

export const CF: u32 = 1 << 0;
export const PF: u32 = 1 << 2;
export const AF: u32 = 1 << 4;
export const ZF: u32 = 1 << 6;
export const SF: u32 = 1 << 7;
export const TF: u32 = 1 << 8;
export const IF: u32 = 1 << 9;
export const DF: u32 = 1 << 10;
export const OF: u32 = 1 << 11;
export const IOPL_MASK: u32 = 3 << 12;
export const NT: u32 = 1 << 14;
export const RF: u32 = 1 << 16;
export const VM: u32 = 1 << 17;
export const AC: u32 = 1 << 18;
export const VIF: u32 = 1 << 19;
export const VIP: u32 = 1 << 20;
export const ID: u32 = 1 << 21;
/** bit 1 always reads as 1 */
export const FIXED1: u32 = 1 << 1;
export const ARITH: u32 = CF | PF | AF | ZF | SF | OF;

// LAZY_OP values
export const LAZY_ADD: u32 = 0;  // res = a + b
export const LAZY_ADC: u32 = 1;  // res = a + b + 1 (ADC with carry in)
export const LAZY_SUB: u32 = 2;  // res = a - b (also CMP, NEG as 0 - b, DEC)
export const LAZY_SBB: u32 = 3;  // res = a - b - 1 (SBB with borrow in)
export const LAZY_LOGIC: u32 = 4; // AND/OR/XOR/TEST: CF = OF = 0, AF = 0

// Operand sizes as stored in LAZY_SIZE (bits - 1).
export const SIZE8: u32 = 7;
export const SIZE16: u32 = 15;
export const SIZE32: u32 = 31;

@inline export function sizeMask(size: u32): u32 { return ((2 << size) - 1) as u32; }

/** Record a flag-setting operation; all six arithmetic flags become lazy. */
@inline export function setLazy(op: u32, a: u32, b: u32, res: u32, size: u32): void {
  store<u32>(S_LAZY_OP, op);
  store<u32>(S_LAZY_A, a);
  store<u32>(S_LAZY_B, b);
  store<u32>(S_LAZY_RES, res);
  store<u32>(S_LAZY_SIZE, size);
  store<u32>(S_FLAGS_LAZY, ARITH);
}

/** As setLazy, but CF keeps its current value (INC, DEC). */
@inline export function setLazyKeepCF(op: u32, a: u32, b: u32, res: u32, size: u32): void {
  const cf = getCF();
  store<u32>(S_FLAGS, (load<u32>(S_FLAGS) & ~CF) | cf);
  store<u32>(S_LAZY_OP, op);
  store<u32>(S_LAZY_A, a);
  store<u32>(S_LAZY_B, b);
  store<u32>(S_LAZY_RES, res);
  store<u32>(S_LAZY_SIZE, size);
  store<u32>(S_FLAGS_LAZY, ARITH & ~CF);
}

function lazyCF(): u32 {
  const size = load<u32>(S_LAZY_SIZE);
  const m = sizeMask(size);
  const a = load<u32>(S_LAZY_A) & m;
  const b = load<u32>(S_LAZY_B) & m;
  const res = load<u32>(S_LAZY_RES) & m;
  switch (load<u32>(S_LAZY_OP)) {
    case LAZY_ADD: return u32(res < a);
    case LAZY_ADC: return u32(res <= a);
    case LAZY_SUB: return u32(a < b);
    case LAZY_SBB: return u32(a <= b);
    default: return 0;
  }
}

function lazyOF(): u32 {
  const size = load<u32>(S_LAZY_SIZE);
  const a = load<u32>(S_LAZY_A);
  const b = load<u32>(S_LAZY_B);
  const res = load<u32>(S_LAZY_RES);
  switch (load<u32>(S_LAZY_OP)) {
    case LAZY_ADD: case LAZY_ADC: return (((a ^ res) & (b ^ res)) >> size) & 1;
    case LAZY_SUB: case LAZY_SBB: return (((a ^ b) & (a ^ res)) >> size) & 1;
    default: return 0;
  }
}

@inline function lazyAF(): u32 {
  if (load<u32>(S_LAZY_OP) == LAZY_LOGIC) return 0;
  return (load<u32>(S_LAZY_A) ^ load<u32>(S_LAZY_B) ^ load<u32>(S_LAZY_RES)) & AF;
}
@inline function lazyZF(): u32 {
  return u32((load<u32>(S_LAZY_RES) & sizeMask(load<u32>(S_LAZY_SIZE))) == 0);
}
@inline function lazySF(): u32 {
  return (load<u32>(S_LAZY_RES) >> load<u32>(S_LAZY_SIZE)) & 1;
}
/** PF: set when the low byte of the result has an even number of 1 bits. */
@inline export function parity(v: u32): u32 { return (~popcnt<u32>(v & 0xFF)) & 1; }

@inline export function getCF(): u32 {
  return load<u32>(S_FLAGS_LAZY) & CF ? lazyCF() : load<u32>(S_FLAGS) & CF;
}
@inline export function getZF(): bool {
  return load<u32>(S_FLAGS_LAZY) & ZF ? lazyZF() != 0 : (load<u32>(S_FLAGS) & ZF) != 0;
}
@inline export function getSF(): bool {
  return load<u32>(S_FLAGS_LAZY) & SF ? lazySF() != 0 : (load<u32>(S_FLAGS) & SF) != 0;
}
@inline export function getOF(): bool {
  return load<u32>(S_FLAGS_LAZY) & OF ? lazyOF() != 0 : (load<u32>(S_FLAGS) & OF) != 0;
}
@inline export function getPF(): bool {
  return load<u32>(S_FLAGS_LAZY) & PF ? parity(load<u32>(S_LAZY_RES)) != 0 : (load<u32>(S_FLAGS) & PF) != 0;
}
@inline export function getAF(): bool {
  return load<u32>(S_FLAGS_LAZY) & AF ? lazyAF() != 0 : (load<u32>(S_FLAGS) & AF) != 0;
}
@inline export function getDF(): bool { return (load<u32>(S_FLAGS) & DF) != 0; }

/** The architectural EFLAGS value (lazy bits computed). */
export function getEflags(): u32 {
  let f = load<u32>(S_FLAGS);
  const lazy = load<u32>(S_FLAGS_LAZY);
  if (lazy == 0) return f | FIXED1;
  f &= ~lazy;
  if (lazy & CF) f |= lazyCF();
  if (lazy & PF) f |= parity(load<u32>(S_LAZY_RES)) << 2;
  if (lazy & AF) f |= lazyAF();
  if (lazy & ZF) f |= lazyZF() << 6;
  if (lazy & SF) f |= lazySF() << 7;
  if (lazy & OF) f |= lazyOF() << 11;
  return f | FIXED1;
}

/** Replace the whole EFLAGS value (no privilege filtering: callers apply POPF/IRET rules). */
export function setEflags(v: u32): void {
  store<u32>(S_FLAGS, (v & 0x003F7FD5) | FIXED1);
  store<u32>(S_FLAGS_LAZY, 0);
}

/** Set the arithmetic flags named in `mask` to the values in `bits` (others unchanged). */
export function setArithFlags(mask: u32, bits: u32): void {
  const f = getEflags();
  store<u32>(S_FLAGS, (f & ~mask) | (bits & mask));
  store<u32>(S_FLAGS_LAZY, 0);
}

/**
 * Condition codes (Intel SDM Vol. 1, Appendix B, "tttn" encoding):
 * 0 O, 1 NO, 2 B, 3 AE, 4 E, 5 NE, 6 BE, 7 A, 8 S, 9 NS, 10 P, 11 NP, 12 L, 13 GE, 14 LE, 15 G.
 */
export function testCC(cc: u32): bool { return condition(cc); }

/** testCC() inlined: with a constant `cc` (a form's argument) only its test remains. */
@inline export function condition(cc: u32): bool {
  let r: bool;
  switch (cc >> 1) {
    case 0: r = getOF(); break;
    case 1: r = getCF() != 0; break;
    case 2: r = getZF(); break;
    case 3: r = getCF() != 0 || getZF(); break;
    case 4: r = getSF(); break;
    case 5: r = getPF(); break;
    case 6: r = getSF() != getOF(); break;
    default: r = getZF() || getSF() != getOF(); break;
  }
  return (cc & 1) ? !r : r;
}

/**
 * SF ZF PF from `res` at `size` (= bits - 1), lazily; CF, AF and OF explicit: `fixed` holds their
 * values in EFLAGS positions (other bits ignored). The flags of shifts, SHLD/SHRD and multiplies.
 */
@inline export function setResultFlags(res: u32, size: u32, fixed: u32): void {
  store<u32>(S_LAZY_OP, LAZY_LOGIC);
  store<u32>(S_LAZY_RES, res);
  store<u32>(S_LAZY_SIZE, size);
  store<u32>(S_FLAGS, (load<u32>(S_FLAGS) & ~(CF | AF | OF)) | (fixed & (CF | AF | OF)));
  store<u32>(S_FLAGS_LAZY, PF | ZF | SF);
}

/** Set CF and OF (0 or 1) and keep the other arithmetic flags, lazy or not (rotates). */
@inline export function setCFOF(cf: u32, ofv: u32): void {
  store<u32>(S_FLAGS, (load<u32>(S_FLAGS) & ~(CF | OF)) | cf | (ofv << 11));
  store<u32>(S_FLAGS_LAZY, load<u32>(S_FLAGS_LAZY) & ~(CF | OF));
}
