// Decimal adjusts after BCD arithmetic (SDM Vol. 2: DAA, DAS, AAA, AAS, AAM, AAD); each follows the
// SDM's "Operation" section. Undefined flags: docs/UNDEFINED-FLAGS.md.
import { R_EAX } from "../layout";
import { reg8, setReg8, reg16, setReg16 } from "../state";
import { fault, DE } from "../priv/exception";
import { getCF, getAF, setArithFlags, setLazy, parity, ARITH, CF, AF, ZF, SF, PF, OF, LAZY_ADD, SIZE8 } from "./flags";
import { imm } from "./operand";

const AL: u32 = 0, AH: u32 = 4;

/** SF ZF PF of the byte `v`. */
@inline function szp(v: u32): u32 {
  return (v & 0x80 ? SF : 0) | (v & 0xFF ? 0 : ZF) | (parity(v) << 2);
}

export function daa(r: usize): void {
  const oldAL = reg8(AL), oldCF = getCF();
  let al = oldAL, cf: u32 = 0, af: u32 = 0;
  if ((al & 0x0F) > 9 || getAF()) {
    cf = oldCF | u32(al + 6 > 0xFF);
    al = (al + 6) & 0xFF;
    af = AF;
  }
  if (oldAL > 0x99 || oldCF) {
    al = (al + 0x60) & 0xFF;
    cf = 1;
  } else {
    cf = 0;
  }
  setReg8(AL, al);
  setArithFlags(ARITH, szp(al) | af | cf | addOF(oldAL, (al - oldAL) & 0xFF, al));
}

export function das(r: usize): void {
  const oldAL = reg8(AL), oldCF = getCF();
  let al = oldAL, cf: u32 = 0, af: u32 = 0;
  if ((al & 0x0F) > 9 || getAF()) {
    cf = oldCF | u32(al < 6);
    al = (al - 6) & 0xFF;
    af = AF;
  }
  if (oldAL > 0x99 || oldCF) {
    al = (al - 0x60) & 0xFF;
    cf = 1;
  }
  setReg8(AL, al);
  setArithFlags(ARITH, szp(al) | af | cf | subOF(oldAL, (oldAL - al) & 0xFF, al));
}

/** OF of the byte addition a + b = res / subtraction a - b = res (the undefined OF of DAA/DAS). */
@inline function addOF(a: u32, b: u32, res: u32): u32 { return ((a ^ res) & (b ^ res) & 0x80) ? OF : 0; }
@inline function subOF(a: u32, b: u32, res: u32): u32 { return ((a ^ b) & (a ^ res) & 0x80) ? OF : 0; }

/**
 * AAA (sub = 0) / AAS: with an adjustment AX = AX +/- 0x106 (SDM: AL + 6 / AL - 6 carrying into
 * AH, AH +/- 1), AF = CF = 1; then AL &= 0x0F. SF ZF PF OF are undefined: they are set as the
 * 16-bit addition / subtraction AX +/- (adjust ? 0x106 : 0) sets them, as AMD does.
 */
function asciiAdjust(sub: bool): void {
  const ax = reg16(R_EAX);
  const adjust = (ax & 0x0F) > 9 || getAF();
  const d: u32 = adjust ? 0x106 : 0;
  const res = (sub ? ax - d : ax + d) & 0xFFFF;
  setReg16(R_EAX, res & 0xFF0F);
  const ovf = sub ? ((ax ^ d) & (ax ^ res) & 0x8000) : ((ax ^ res) & (d ^ res) & 0x8000);
  setArithFlags(ARITH, (adjust ? AF | CF : 0) | (res & 0x8000 ? SF : 0) | (res ? 0 : ZF) | (parity(res) << 2) | (ovf ? OF : 0));
}

export function aaa(r: usize): void { asciiAdjust(false); }
export function aas(r: usize): void { asciiAdjust(true); }

/** AAM imm8: AH = AL / imm8, AL = AL mod imm8; imm8 = 0 raises #DE. */
export function aam(r: usize): void {
  const base = imm(r) & 0xFF;
  if (base == 0) { fault(DE); return; }
  const al = reg8(AL);
  const res = ((al / base) << 8) | (al % base);
  setReg16(R_EAX, res);
  setArithFlags(ARITH, szp(res & 0xFF));
}

/** AAD imm8: AL = (AL + AH * imm8) & 0xFF, AH = 0 (any imm8). */
export function aad(r: usize): void {
  const base = imm(r) & 0xFF;
  const al = reg8(AL), t = (reg8(AH) * base) & 0xFF;
  const res = (al + t) & 0xFF;
  setReg16(R_EAX, res);
  // flags as the 8-bit addition AL + (AH * imm8) (SF ZF PF defined; OF AF CF as AMD computes them)
  setLazy(LAZY_ADD, al, t, res, SIZE8);
}
