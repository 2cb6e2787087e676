// MUL, IMUL, DIV, IDIV (SDM Vol. 2).
//
// MUL/IMUL: CF = OF = 1 when the product does not fit the destination (MUL: the upper half is not
// zero; IMUL: the product differs from the sign extension of its truncation). DIV/IDIV raise #DE
// when the divisor is 0 or the quotient does not fit the destination (IDIV's range is signed,
// so -2^31 / -1 faults); nothing is changed then. Undefined flags: docs/UNDEFINED-FLAGS.md.
import { R_EAX, R_EDX } from "../layout";
import { regN, setRegN, reg16, setReg16, reg32, setReg32 } from "../state";
import { pending, fault, DE } from "../priv/exception";
import { readN } from "../mmu/access";
import { setCFOF, setArithFlags, PF, AF, ZF, SF } from "./flags";
import { r0, r1, seg, ea, imm } from "./operand";

const MUL: u32 = 0, IMUL: u32 = 1, DIV: u32 = 2;

@inline function sx(v: u32, size: u32): i64 {
  return size == 1 ? i64(<i8>v) : size == 2 ? i64(<i16>v) : i64(<i32>v);
}

/** MUL/IMUL of the accumulator by `src`: AX = AL * src, DX:AX = AX * src or EDX:EAX = EAX * src. */
function mulAcc(src: u32, signed: bool, size: u32): void {
  const bits = size << 3;
  const a = regN(R_EAX, size);
  const p: i64 = signed ? sx(a, size) * sx(src, size) : i64(u64(a) * u64(src));
  const lo = u32(p) & (size == 4 ? 0xFFFFFFFF : (1 << bits) - 1);
  const hi = u32(u64(p) >> bits) & (size == 4 ? 0xFFFFFFFF : (1 << bits) - 1);
  if (size == 1) setReg16(R_EAX, u32(p) & 0xFFFF);
  else { setRegN(R_EAX, lo, size); setRegN(R_EDX, hi, size); }
  const over = u32(signed ? p != sx(lo, size) : hi != 0);
  setCFOF(over, over); // SF ZF AF PF (undefined) keep their values, as on AMD
}

/**
 * DIV/IDIV of the double-size accumulator by `src`; raises #DE (and changes nothing) on a zero
 * divisor or a quotient out of range.
 */
function divAcc(src: u32, signed: bool, size: u32): void {
  const bits = size << 3;
  if (size == 1) src &= 0xFF; else if (size == 2) src &= 0xFFFF;
  if (src == 0) { fault(DE); return; }
  // dividend: AX, DX:AX or EDX:EAX
  const lo: u64 = size == 1 ? u64(reg16(R_EAX)) : size == 2 ? u64(reg16(R_EAX)) | (u64(reg16(R_EDX)) << 16)
    : u64(reg32(R_EAX)) | (u64(reg32(R_EDX)) << 32);
  let q: u64, rem: u64;
  if (signed) {
    const n: i64 = size == 1 ? i64(<i16>u32(lo)) : size == 2 ? i64(<i32>u32(lo)) : i64(lo);
    const d: i64 = sx(src, size);
    // the quotient must lie in [-2^(bits-1), 2^(bits-1) - 1]; -2^63 / -1 would trap in Wasm
    const minQ: i64 = -(i64(1) << (bits - 1)), maxQ: i64 = (i64(1) << (bits - 1)) - 1;
    if (d == -1) {
      if (n == i64.MIN_VALUE || -n < minQ || -n > maxQ) { fault(DE); return; }
      q = u64(-n); rem = 0;
    } else {
      const qs = n / d;
      if (qs < minQ || qs > maxQ) { fault(DE); return; }
      q = u64(qs); rem = u64(n % d); // the remainder has the sign of the dividend, as on x86
    }
  } else {
    q = lo / u64(src);
    if (q >> bits) { fault(DE); return; }
    rem = lo % u64(src);
  }
  if (size == 1) setReg16(R_EAX, (u32(q) & 0xFF) | ((u32(rem) & 0xFF) << 8));
  else if (size == 2) { setReg16(R_EAX, u32(q)); setReg16(R_EDX, u32(rem)); }
  else { setReg32(R_EAX, u32(q)); setReg32(R_EDX, u32(rem)); }
  // all six flags are undefined: AMD leaves CF and OF and sets AF, clearing SF ZF PF
  setArithFlags(PF | AF | ZF | SF, AF);
}

@inline function mulDiv(kind: u32, src: u32, size: u32): void {
  if (kind < DIV) mulAcc(src, kind == IMUL, size);
  else divAcc(src, kind != DIV, size);
}

export function mulDivR(r: usize, kind: u32, size: u32): void { mulDiv(kind, regN(r0(r), size), size); }
export function mulDivM(r: usize, kind: u32, size: u32): void {
  const v = readN(seg(r), ea(r), size);
  if (pending) return;
  mulDiv(kind, v, size);
}

/** IMUL r, r/m [, imm]: the truncated signed product; CF = OF = it was truncated. */
function imul2(r: usize, a: u32, b: u32, size: u32): void {
  const p: i64 = sx(a, size) * sx(b, size);
  const res = size == 4 ? u32(p) : u32(p) & 0xFFFF;
  setRegN(r0(r), res, size);
  const over = u32(p != sx(res, size));
  setCFOF(over, over); // SF ZF AF PF (undefined) keep their values, as on AMD
}

// With an immediate the first factor is the r/m operand; without, it is the destination.
export function imulRR(r: usize, size: u32, hasImm: u32): void {
  if (hasImm) imul2(r, regN(r1(r), size), imm(r), size);
  else imul2(r, regN(r0(r), size), regN(r1(r), size), size);
}
export function imulRM(r: usize, size: u32, hasImm: u32): void {
  const v = readN(seg(r), ea(r), size);
  if (pending) return;
  if (hasImm) imul2(r, v, imm(r), size);
  else imul2(r, regN(r0(r), size), v, size);
}
