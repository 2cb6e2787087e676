// ENTER, PUSHA/PUSHAD, POPA/POPAD, PUSHF/PUSHFD, POPF/POPFD (SDM Vol. 2, each "Operation").
// Every one is all-or-nothing for the registers: the stack accesses come first, ESP and the
// other registers change only after the last one that can fault.
import { unsupported, UNSUP_SINGLE_STEP } from "../priv/unsupported";
import { R_EAX, R_ESP, R_EBP, R_EDI, SR_SS } from "../layout";
import { regN, setRegN, reg32, setReg16, setReg32, cpl } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN, segWrite, probeWrite } from "../mmu/access";
import { imm, imm2 } from "./operand";
import { push, peek, sp, setSp, spPlus, stack32 } from "./stack-ops";
import {
  getEflags, setEflags, CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL_MASK, NT, RF, VM, AC, VIF, VIP, ID,
} from "./flags";

/** SP moved by `delta` from `base`, with the stack's wrap-around. */
@inline function spAt(base: u32, delta: u32): u32 { return stack32() ? base + delta : (base + delta) & 0xFFFF; }

/** PUSHA/PUSHAD: EAX ECX EDX EBX, the original ESP, EBP ESI EDI (EAX at the highest address). */
export function pusha(r: usize, size: u32): void {
  const top = sp();
  const orig = regN(R_ESP, size);
  for (let i: u32 = 0; i < 8; i++) {
    const v = i == R_ESP ? orig : regN(i, size);
    writeN(SR_SS, spAt(top, -(i + 1) * size), v, size);
    if (pending) return;
  }
  setSp(spAt(top, -8 * size));
}

/** POPA/POPAD: the reverse of PUSHA; the stored ESP is skipped (ESP just moves up). */
export function popa(r: usize, size: u32): void {
  const top = sp();
  // read all eight first (EDI at the lowest address), then commit
  let v0: u32 = 0, v1: u32 = 0, v2: u32 = 0, v3: u32 = 0, v5: u32 = 0, v6: u32 = 0, v7: u32 = 0;
  v7 = readN(SR_SS, spAt(top, 0), size); if (pending) return;
  v6 = readN(SR_SS, spAt(top, size), size); if (pending) return;
  v5 = readN(SR_SS, spAt(top, 2 * size), size); if (pending) return;
  // 3 * size: the stored ESP, read by the CPU but discarded
  readN(SR_SS, spAt(top, 3 * size), size); if (pending) return;
  v3 = readN(SR_SS, spAt(top, 4 * size), size); if (pending) return;
  v2 = readN(SR_SS, spAt(top, 5 * size), size); if (pending) return;
  v1 = readN(SR_SS, spAt(top, 6 * size), size); if (pending) return;
  v0 = readN(SR_SS, spAt(top, 7 * size), size); if (pending) return;
  setRegN(R_EDI, v7, size); setRegN(6, v6, size); setRegN(R_EBP, v5, size);
  setRegN(3, v3, size); setRegN(2, v2, size); setRegN(1, v1, size); setRegN(R_EAX, v0, size);
  setSp(spAt(top, 8 * size));
}

/** PUSHF/PUSHFD: the EFLAGS image with VM and RF cleared (SDM: PUSHF). */
export function pushf(r: usize, size: u32): void {
  push(getEflags() & ~(VM | RF), size);
}

/**
 * POPF/POPFD outside virtual-8086 mode (there is none here), SDM Vol. 2 POPF:
 * - arithmetic flags, TF, DF, NT always; AC and ID with a 32-bit operand;
 * - IOPL only at CPL 0; IF only when CPL <= IOPL (otherwise kept silently, no fault);
 * - 32-bit: VM unaffected, RF cleared, VIP and VIF cleared (the instruction's description; the
 *   newer "Operation" text says unaffected: the same here, as nothing in this CPU sets them);
 * - 16-bit: only bits 0-15 change.
 */
export function popf(r: usize, size: u32): void {
  const v = peek(0, size); if (pending) return;
  const old = getEflags();
  const iopl = (old & IOPL_MASK) >> 12;
  let mask: u32 = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
  if (size == 4) mask |= AC | ID;
  if (cpl() == 0) mask |= IOPL_MASK;
  if (cpl() <= iopl) mask |= IF;
  let f = (old & ~mask) | (v & mask);
  if (size == 4) f &= ~(RF | VIF | VIP);
  // Single-step traps are not implemented: a POPF that would set TF stops the run (no silent guess).
  if (f & TF) { unsupported(UNSUP_SINGLE_STEP); return; }
  setSp(spPlus(size));
  setEflags(f);
}

/**
 * ENTER alloc, level (SDM Vol. 2, ENTER): push (E)BP; with level L > 0 copy L-1 frame pointers
 * from the old frame ([SS:(E)BP - k*size], (E)BP by the stack size) and push the new frame
 * pointer; (E)BP = that frame pointer, then (E)SP -= alloc. The level is taken modulo 32. The
 * final stack pointer is checked for a write like the pushes (as Bochs does), so a frame that
 * would leave the stack segment or run onto an unmapped page faults here, with no change.
 */
export function enter(r: usize, size: u32): void {
  const alloc = imm(r) & 0xFFFF;
  const level = imm2(r) & 31;
  const s32 = stack32();
  let top = sp();
  top = spAt(top, -size);
  writeN(SR_SS, top, regN(R_EBP, size), size); if (pending) return;
  const frameTemp = top;
  if (level > 0) {
    let bp = s32 ? reg32(R_EBP) : reg32(R_EBP) & 0xFFFF;
    for (let i: u32 = 1; i < level; i++) {
      bp = s32 ? bp - size : (bp - size) & 0xFFFF;
      const v = readN(SR_SS, bp, size); if (pending) return;
      top = spAt(top, -size);
      writeN(SR_SS, top, v, size); if (pending) return;
    }
    top = spAt(top, -size);
    writeN(SR_SS, top, frameTemp, size); if (pending) return;
  }
  const final = spAt(top, -alloc);
  const lin = segWrite(SR_SS, final, size); if (pending) return;
  if (!probeWrite(lin, size)) return;
  if (size == 4) setReg32(R_EBP, frameTemp); else setReg16(R_EBP, frameTemp);
  setSp(final);
}
