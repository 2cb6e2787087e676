// MOV to/from Sreg, PUSH/POP Sreg, LDS/LES/LFS/LGS/LSS (SDM Vol. 2). The protected-mode checks
// live in priv/segment.ts; loading SS opens a one-instruction interrupt shadow (SDM Vol. 2, MOV:
// "Loading the SS register with a MOV instruction suppresses or inhibits some debug exceptions
// and inhibits interrupts on the following instruction boundary").
import { S_INTR_SHADOW, SR_CS, SR_SS } from "../layout";
import { reg16, setRegN, segSel, setReg32, setReg16, segBase } from "../state";
import { pending, ud } from "../priv/exception";
import { loadSS, loadDataSeg } from "../priv/segment";
import { read16, readN, write16, writeN, alignmentFault } from "../mmu/access";
import { r0, r1, seg, ea, a16 } from "./operand";
import { peek, setSp, spPlus } from "./stack-ops";

/**
 * Load segment register `sreg` with `sel`; false with a fault pending. MOV CS is #UD. MOV SS and
 * POP SS (`shadow`) hold off interrupts until after the next instruction; LSS does not.
 */
function loadSreg(sreg: u32, sel: u32, shadow: bool = true): bool {
  if (sreg == SR_CS) { ud(); return false; }
  if (sreg == SR_SS) {
    if (!loadSS(sel)) return false;
    if (shadow) store<u32>(S_INTR_SHADOW, 1);
    return true;
  }
  return loadDataSeg(sreg, sel);
}

export function movSregR(r: usize): void { loadSreg(r0(r), reg16(r1(r))); }
export function movSregM(r: usize): void {
  const sel = read16(seg(r), ea(r)); if (pending) return;
  loadSreg(r0(r), sel);
}

/** MOV r/m, Sreg: a 32-bit register receives the zero-extended selector; memory takes 16 bits. */
export function movFromSregR(r: usize, size: u32): void {
  if (size == 4) setReg32(r0(r), segSel(r1(r))); else setReg16(r0(r), segSel(r1(r)));
}
export function movFromSregM(r: usize, size: u32): void { write16(seg(r), ea(r), segSel(r1(r))); }

/**
 * PUSH Sreg: with a 32-bit operand size ESP moves by 4 but only the low 16 bits are written, as
 * recent Intel processors do (SDM Vol. 2, PUSH).
 */
export function pushSreg(r: usize, sreg: u32, size: u32): void {
  const nsp = spPlus(-size);
  // #AC checks the alignment of the whole operand-size slot (the host CPU does)
  if (alignmentFault(segBase(SR_SS) + nsp, size)) return;
  writeN(SR_SS, nsp, segSel(sreg), 2);
  if (pending) return;
  setSp(nsp);
}

/** POP Sreg: the load's checks happen before ESP moves (a fault leaves ESP unchanged). */
export function popSreg(r: usize, sreg: u32, size: u32): void {
  const v = peek(0, size); if (pending) return;
  const after = spPlus(size);
  if (!loadSreg(sreg, v & 0xFFFF)) return;
  setSp(after);
}

/** LDS/LES/LFS/LGS/LSS r, m16:16/m16:32: offset first in memory, then the selector. */
export function loadFarPtr(r: usize, sreg: u32, size: u32): void {
  const s = seg(r), off = ea(r);
  const v = readN(s, off, size); if (pending) return;
  // the selector's offset is computed in the address size: with 16-bit addressing it wraps at 64K
  const sel = read16(s, a16(r) ? (off + size) & 0xFFFF : off + size); if (pending) return;
  if (!loadSreg(sreg, sel, false)) return;
  setRegN(r0(r), v, size);
}
