// Shifts and rotates: SHL/SAL SHR SAR ROL ROR RCL RCR, SHLD SHRD (SDM Vol. 2: SAL/SAR/SHL/SHR,
// RCL/RCR/ROL/ROR, SHLD, SHRD).
//
// The count is masked to 5 bits. A masked count of 0 changes nothing, not even the flags; a memory
// operand is still accessed for reading and checked for writing (faults as on the CPU) but not
// stored. RCL/RCR rotate through CF over 9 bits (8-bit operand, count mod 9), 17 bits (16-bit,
// count mod 17) or 33 bits (32-bit). For undefined flags (AF after a shift, OF for counts other
// than 1, the 16-bit SHLD/SHRD result for counts above 16) see docs/UNDEFINED-FLAGS.md.
import { R_ECX } from "../layout";
import { regN, setRegN, reg8 } from "../state";
import { pending } from "../priv/exception";
import { readForWrite, writeN } from "../mmu/access";
import { getCF, setCFOF, setResultFlags, sizeMask, AF } from "./flags";
import { r0, r1, seg, ea, imm } from "./operand";

const ROL: u32 = 0, ROR: u32 = 1, RCL: u32 = 2, RCR: u32 = 3, SHL: u32 = 4, SHR: u32 = 5, SAL: u32 = 6;

/** The masked count: from CL or the immediate. */
@inline function shiftCount(r: usize, fromCL: u32): u32 { return (fromCL ? reg8(R_ECX) : imm(r)) & 31; }

/**
 * `a` (already masked to `size` bytes) shifted or rotated by `count` (1..31); sets the flags.
 * Inlined: the register forms pass a constant `op` and keep only its case.
 */
@inline function shift(op: u32, a: u32, count: u32, size: u32): u32 {
  const bits = size << 3, top = bits - 1, m = sizeMask(top);
  switch (op) {
    case ROL: {
      // 8/16-bit: the rotation is count mod size; CF is still updated when that is 0 (SDM ROL).
      const c = count & top;
      const res = c ? ((a << c) | (a >> (bits - c))) & m : a;
      const cf = res & 1;
      setCFOF(cf, ((res >> top) ^ cf) & 1); // OF = MSB(res) XOR CF (defined for count 1)
      return res;
    }
    case ROR: {
      const c = count & top;
      const res = c ? ((a >> c) | (a << (bits - c))) & m : a;
      const cf = res >> top;
      setCFOF(cf, (cf ^ (res >> (top - 1))) & 1); // OF = the two top bits differ (count 1)
      return res;
    }
    case RCL: case RCR: {
      // Rotate the (bits + 1)-bit value CF:a.
      const c = size == 1 ? count % 9 : size == 2 ? count % 17 : count;
      const cfIn = getCF();
      const width = bits + 1;
      const wm: u64 = (u64(1) << width) - 1;
      const v: u64 = (u64(cfIn) << bits) | u64(a);
      let w = v;
      if (c) w = op == RCL ? ((v << c) | (v >> (width - c))) & wm : ((v >> c) | (v << (width - c))) & wm;
      const res = u32(w) & m;
      const cf = u32(w >> bits) & 1;
      // RCL: OF = MSB(result) XOR CF(after); RCR: OF = MSB(operand) XOR CF(before), which is the
      // XOR of the result's two top bits (SDM RCL/RCR); both formulas are used for every count.
      const ofv = op == RCL ? ((res >> top) ^ cf) & 1 : ((res >> top) ^ (res >> (top - 1))) & 1;
      setCFOF(cf, ofv);
      return res;
    }
    case SHL: case SAL: {
      const w: u64 = u64(a) << count;
      const res = u32(w) & m;
      const cf = u32(w >> bits) & 1; // the last bit shifted out (0 once count > size)
      setResultFlags(res, top, cf | AF | ((((res >> top) ^ cf) & 1) << 11)); // OF = MSB(res) XOR CF
      return res;
    }
    case SHR: {
      const res = a >> count;
      // OF = MSB(a) for count 1 = the XOR of the result's two top bits (0 for larger counts)
      setResultFlags(res, top, ((a >> (count - 1)) & 1) | AF | ((count == 1 ? a >> top : 0) << 11));
      return res;
    }
    default: { // SAR
      const sa: i32 = (<i32>(a << (32 - bits))) >> (32 - bits); // sign-extended operand
      const res = u32(sa >> count) & m;
      setResultFlags(res, top, (u32(sa >> (count - 1)) & 1) | AF); // OF = 0
      return res;
    }
  }
}

@inline export function shiftR(r: usize, op: u32, size: u32, fromCL: u32): void {
  const c = shiftCount(r, fromCL);
  if (c == 0) return;
  const d = r0(r);
  setRegN(d, shift(op, regN(d, size), c, size), size);
}

export function shiftM(r: usize, op: u32, size: u32, fromCL: u32): void {
  const s = seg(r), off = ea(r);
  const a = readForWrite(s, off, size);
  if (pending) return;
  const c = shiftCount(r, fromCL);
  if (c == 0) return;
  writeN(s, off, shift(op, a, c, size), size);
}

/**
 * SHLD (left = 1) / SHRD: shift `a` by `count` (1..31), filling from `b`. For 16-bit counts above
 * 16 (result undefined in the SDM) this shifts the 48-bit value a:b:b (SHLD) or b:b:a (SHRD) with
 * CF = 0, as AMD processors do (docs/UNDEFINED-FLAGS.md).
 */
function shiftDouble(left: u32, a: u32, b: u32, count: u32, size: u32): u32 {
  let res: u32, cf: u32;
  if (size == 4) {
    if (left) {
      res = (a << count) | (b >> (32 - count));
      cf = (a >> (32 - count)) & 1;
    } else {
      res = (a >> count) | (b << (32 - count));
      cf = (a >> (count - 1)) & 1;
    }
  } else if (left) {
    const w: u64 = (u64(a) << 32) | (u64(b) << 16) | u64(b); // a:b:b
    res = u32(w >> (48 - 16 - count)) & 0xFFFF;
    cf = count <= 16 ? u32(w >> (48 - count)) & 1 : 0;
  } else {
    const w: u64 = (u64(b) << 32) | (u64(b) << 16) | u64(a); // b:b:a
    res = u32(w >> count) & 0xFFFF;
    cf = count <= 16 ? u32(w >> (count - 1)) & 1 : 0;
  }
  const top = (size << 3) - 1;
  // OF (defined for count 1: the sign changed) = MSB(res) XOR CF for SHLD, the XOR of the
  // result's two top bits for SHRD; the same formulas for every count, except 16-bit SHLD by
  // 16 or more, where AMD's rule is used (docs/UNDEFINED-FLAGS.md).
  let ofv = left ? ((res >> top) ^ cf) & 1 : ((res >> top) ^ (res >> (top - 1))) & 1;
  if (size == 2 && left && count >= 16) {
    ofv = count == 16 ? a & 1 : ((res >> 15) ^ u32(((u64(a) << 32) | (u64(b) << 16) | u64(b)) >> (47 - count))) & 1;
  }
  setResultFlags(res, top, cf | AF | (ofv << 11));
  return res;
}

export function shldR(r: usize, left: u32, size: u32, fromCL: u32): void {
  const c = shiftCount(r, fromCL);
  if (c == 0) return;
  const d = r0(r);
  setRegN(d, shiftDouble(left, regN(d, size), regN(r1(r), size), c, size), size);
}

export function shldM(r: usize, left: u32, size: u32, fromCL: u32): void {
  const s = seg(r), off = ea(r);
  const a = readForWrite(s, off, size);
  if (pending) return;
  const c = shiftCount(r, fromCL);
  if (c == 0) return;
  writeN(s, off, shiftDouble(left, a, regN(r1(r), size), c, size), size);
}
