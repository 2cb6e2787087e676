// Bit test and scan: BT BTS BTR BTC, BSF BSR (SDM Vol. 2).
//
// BT*: CF = the selected bit; BTS/BTR/BTC then set/clear/complement it. With a register operand
// or an immediate the offset is taken modulo the operand size. With a memory operand and a
// register offset the offset is signed and may reach outside the operand: the operand-size unit
// at ea + (offset SAR 5) * 4 (32-bit) or ea + (offset SAR 4) * 2 (16-bit) is accessed.
// BSF/BSR: a zero source sets ZF and leaves the destination unchanged (what Intel and AMD
// processors do; the SDM calls the destination undefined). Undefined flags:
// docs/UNDEFINED-FLAGS.md.
import { regN, setRegN } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN, readForWrite } from "../mmu/access";
import { setCFOF, getOF, setArithFlags, parity, ARITH, ZF, PF } from "./flags";
import { r0, r1, seg, ea, imm, a16 } from "./operand";

const BT: u32 = 0, BTS: u32 = 1, BTR: u32 = 2;

/** Set CF to bit `bit` of `v` and return `v` with the bit changed as `kind` says. */
@inline function bitOp(kind: u32, v: u32, bit: u32): u32 {
  const m: u32 = 1 << bit;
  setCFOF((v >> bit) & 1, u32(getOF())); // only CF changes (OF SF AF PF kept, ZF defined unchanged)
  return kind == BT ? v : kind == BTS ? v | m : kind == BTR ? v & ~m : v ^ m;
}

export function btRR(r: usize, kind: u32, size: u32): void {
  const d = r0(r);
  const res = bitOp(kind, regN(d, size), regN(r1(r), size) & ((size << 3) - 1));
  if (kind != BT) setRegN(d, res, size);
}
export function btRI(r: usize, kind: u32, size: u32): void {
  const d = r0(r);
  const res = bitOp(kind, regN(d, size), imm(r) & ((size << 3) - 1));
  if (kind != BT) setRegN(d, res, size);
}

@inline function btMem(r: usize, kind: u32, size: u32, off: u32, bit: u32): void {
  const s = seg(r);
  if (kind == BT) {
    const v = readN(s, off, size);
    if (pending) return;
    bitOp(kind, v, bit);
    return;
  }
  const v = readForWrite(s, off, size);
  if (pending) return;
  writeN(s, off, bitOp(kind, v, bit), size);
}

export function btMR(r: usize, kind: u32, size: u32): void {
  let off = ea(r);
  let bit: u32;
  if (size == 4) {
    const o = <i32>regN(r1(r), 4);
    off += <u32>(o >> 5) << 2;
    bit = <u32>o & 31;
  } else {
    const o = <i32>(<i16>regN(r1(r), 2));
    off += <u32>(o >> 4) << 1;
    bit = <u32>o & 15;
  }
  if (a16(r)) off &= 0xFFFF;
  btMem(r, kind, size, off, bit);
}
export function btMI(r: usize, kind: u32, size: u32): void {
  btMem(r, kind, size, ea(r), imm(r) & ((size << 3) - 1));
}

/**
 * BSF (reverse = 0) / BSR of `src` into register `d`. ZF = (src == 0); the undefined CF OF SF AF
 * are cleared and PF is the parity of the index (of 0 for a zero source), as on AMD.
 */
@inline function bitScan(d: u32, reverse: u32, src: u32, size: u32): void {
  if (src == 0) {
    setArithFlags(ARITH, ZF | PF); // destination unchanged
    return;
  }
  const index = reverse ? 31 - clz<u32>(src) : ctz<u32>(src);
  setRegN(d, index, size);
  setArithFlags(ARITH, parity(index) << 2);
}

export function bsfR(r: usize, reverse: u32, size: u32): void {
  bitScan(r0(r), reverse, regN(r1(r), size), size);
}
export function bsfM(r: usize, reverse: u32, size: u32): void {
  const v = readN(seg(r), ea(r), size);
  if (pending) return;
  bitScan(r0(r), reverse, v, size);
}
