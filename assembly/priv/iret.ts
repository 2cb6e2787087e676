// IRET in protected mode (SDM Vol. 2, IRET "Operation"): to the same ring, or to an outer ring
// (SS:ESP popped too, data segments the outer ring may not use nulled); NT = 1 returns to the
// previous task (task.ts). The return CS/SS checks are RET far's (far.ts).
import { S_GPR, R_ESP, SR_SS, S_TR_BASE, S_FLAGS } from "../layout";
import { cpl } from "../state";
import { pending, gp } from "./exception";
import { readLinSlow } from "../mmu/access";
import { descLo, descHi, descLin, descBase, descLimit, cacheAttr, setAccessedAt } from "./descriptor";
import { setSegCache, nullInaccessibleSegs } from "./segment";
import { frameBeginCurrent, framePeek, framePeek3, frameVal0, frameVal1, frameVal2, frameRelease, frameEsp } from "./frame";
import { checkReturnCS, checkReturnSS, enterReturnCS, returnCSLimit } from "./far";
import { taskSwitch, SWITCH_IRET } from "./task";
import { unsupported, UNSUP_V86, UNSUP_SINGLE_STEP } from "./unsupported";
import {
  getEflags, setEflags, CF, PF, AF, ZF, SF, TF, IF, DF, OF, IOPL_MASK, NT, RF, VM, AC, VIF, VIP, ID,
} from "../exec/flags";

/**
 * The EFLAGS IRET loads from `image` with operand size `size` at the current (old) CPL: IF only
 * when CPL ≤ IOPL, IOPL (and VIF/VIP) only at CPL 0; a 16-bit IRET changes bits 0-15 only. RF
 * is loaded and, with no instruction breakpoints implemented, has no further effect here.
 */
export function iretFlags(image: u32, size: u32, oldCpl: u32): u32 {
  const old = getEflags();
  let mask: u32 = CF | PF | AF | ZF | SF | TF | DF | OF | NT;
  if (size == 4) mask |= RF | AC | ID;
  if (oldCpl <= ((old & IOPL_MASK) >> 12)) mask |= IF;
  if (oldCpl == 0) mask |= IOPL_MASK | (size == 4 ? VIF | VIP : 0);
  return ((old & ~mask) | (image & mask)) & ~RF;
}

export function iret(size: u32): void {
  // VM and NT are never lazy (exec/flags.ts: only the arithmetic flags are): FLAGS holds them.
  const flags = load<u32>(S_FLAGS);
  if (flags & VM) { unsupported(UNSUP_V86); return; }
  if (flags & NT) {
    // Task return: the previous task's TSS selector is the back link at offset 0 of this TSS.
    const link = readLinSlow(load<u32>(S_TR_BASE), 2, 0);
    if (pending) return;
    taskSwitch(link, SWITCH_IRET, 0, false, 0);
    return;
  }
  frameBeginCurrent(cpl(), 0);
  // EIP, CS and EFLAGS, lowest first.
  if (!framePeek3(size)) return;
  const off = frameVal0, sel = frameVal1 & 0xFFFF, image = frameVal2;
  // Returning to virtual-8086 mode (VM = 1 in the image at CPL 0) is not supported.
  if (size == 4 && (image & VM) && cpl() == 0) { unsupported(UNSUP_V86); return; }
  if (!checkReturnCS(sel)) return;
  const rpl = sel & 3;
  const target = size == 2 ? off & 0xFFFF : off;
  const oldCpl = cpl();
  const newFlags = iretFlags(image, size, oldCpl);
  // Single-step traps are not implemented: a return that would set TF stops the run.
  if (newFlags & TF) { unsupported(UNSUP_SINGLE_STEP); return; }
  if (rpl == oldCpl) {
    if (target > returnCSLimit()) { gp(0); return; }
    frameRelease(3 * size);
    if (!enterReturnCS(sel, target, rpl)) return;
    store<u32>(R_ESP << 2, frameEsp(), S_GPR);
    setEflags(newFlags);
    return;
  }
  // Outer ring: ESP and SS follow EFLAGS in the frame.
  const esp = framePeek(3 * size, size); if (pending) return;
  const ss = framePeek(4 * size, size) & 0xFFFF; if (pending) return;
  if (!checkReturnSS(ss, rpl)) return;
  const ssLo = descLo, ssHi = descHi, ssLin = descLin;
  if (target > returnCSLimit()) { gp(0); return; }
  if (!setAccessedAt(ssLin, ssHi)) return;
  if (!enterReturnCS(sel, target, rpl)) return;
  setSegCache(SR_SS, ss, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), cacheAttr(ssHi | (1 << 8)));
  if (cacheAttr(ssHi) & (1 << 14)) store<u32>(R_ESP << 2, esp, S_GPR);
  else store<u16>(R_ESP << 2, esp, S_GPR);
  setEflags(newFlags);
  nullInaccessibleSegs(rpl);
}
