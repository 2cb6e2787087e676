// Far JMP, CALL and RET in protected mode (SDM Vol. 2, JMP/CALL/RET "Operation"; Vol. 3, 5.8):
// direct transfers to conforming and non-conforming code segments, call gates with the stack
// switch to an inner ring and the parameter copy, and the return to an outer ring. Task gates and
// TSS selectors go to task.ts. Nothing changes before the last access that can fault.
import { S_EIP, S_GPR, R_ESP, SR_CS, SR_SS } from "../layout";
import { cpl, segSel } from "../state";
import { pending, gp, faultCode, NP, TS } from "./exception";
import {
  readDescriptor, descLo, descHi, descLin, descIsSeg, descIsCode, descDpl,
  descPresent, descConforming, descLimit, descType, descBase, cacheAttr, gateSelector,
  gateOffset, gateParams, selIsNull, setAccessedAt, setDesc, SYS_CALL_GATE16, SYS_CALL_GATE32,
  SYS_TASK_GATE, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL,
} from "./descriptor";
import { checkSS, loadCS, setSegCache, nullInaccessibleSegs } from "./segment";
import { frameBegin, frameBeginCurrent, framePush, framePeek, frameRelease, frameEsp } from "./frame";
import { readTssStack, tssSS, tssESP } from "./tss";
import { taskSwitch, SWITCH_JMP, SWITCH_CALL } from "./task";
import { readN } from "../mmu/access";
import { stack32 } from "../exec/stack-ops";

export const FAR_JMP: u32 = 0;
export const FAR_CALL: u32 = 1;

// The code-segment descriptor a transfer resolved to (taken before other descriptor reads).
let csLo: u32 = 0, csHi: u32 = 0, csLin: u32 = 0;

/**
 * Read and check the code segment `sel` for a direct JMP/CALL (no gate): outside the table or not
 * code → #GP(sel); conforming with DPL > CPL, or non-conforming with RPL > CPL or DPL ≠ CPL →
 * #GP(sel); not present → #NP(sel).
 */
function checkDirectCode(sel: u32): bool {
  const code = sel & 0xFFFC;
  if (descConforming(descHi)) {
    if (descDpl(descHi) > cpl()) { gp(code); return false; }
  } else if ((sel & 3) > cpl() || descDpl(descHi) != cpl()) { gp(code); return false; }
  if (!descPresent(descHi)) { faultCode(NP, code); return false; }
  csLo = descLo; csHi = descHi; csLin = descLin;
  return true;
}

/**
 * The code segment named by a call gate: null → #GP(0); outside, not code or DPL > CPL →
 * #GP(sel); not present → #NP(sel). JMP through a gate additionally needs a conforming segment
 * or DPL = CPL (SDM Vol. 2, JMP).
 */
function checkGateTarget(sel: u32, jmp: bool): bool {
  if (selIsNull(sel)) { gp(0); return false; }
  const code = sel & 0xFFFC;
  if (!readDescriptor(sel)) { if (!pending) gp(code); return false; }
  if (!descIsCode(descHi) || descDpl(descHi) > cpl()) { gp(code); return false; }
  if (jmp && !descConforming(descHi) && descDpl(descHi) != cpl()) { gp(code); return false; }
  if (!descPresent(descHi)) { faultCode(NP, code); return false; }
  csLo = descLo; csHi = descHi; csLin = descLin;
  return true;
}

/** Enter the resolved code segment at `off` with CPL `newCpl` (limit already checked). */
function enter(sel: u32, off: u32, newCpl: u32): bool {
  if (!setAccessedAt(csLin, csHi)) return false;
  setDesc(csLo, csHi | (1 << 8));
  loadCS(sel, newCpl);
  store<u32>(S_EIP, off);
  return true;
}

/** Far JMP or CALL to sel:off with operand size `size` (2 or 4). */
export function farTransfer(sel: u32, off: u32, size: u32, kind: u32): void {
  if (size == 2) off &= 0xFFFF;
  if (selIsNull(sel)) { gp(0); return; }
  const code = sel & 0xFFFC;
  if (!readDescriptor(sel)) { if (!pending) gp(code); return; }
  if (descIsSeg(descHi)) {
    if (!descIsCode(descHi)) { gp(code); return; }
    if (!checkDirectCode(sel)) return;
    if (off > descLimit(csLo, csHi)) { gp(0); return; }
    if (kind == FAR_CALL) {
      frameBeginCurrent(cpl(), 0);
      if (!framePush(segSel(SR_CS), size)) return;
      if (!framePush(load<u32>(S_EIP), size)) return;
      if (!enter(sel, off, cpl())) return;
      commitEsp();
      return;
    }
    enter(sel, off, cpl());
    return;
  }
  const type = descType(descHi);
  if (type == SYS_CALL_GATE16 || type == SYS_CALL_GATE32) { callGate(sel, kind); return; }
  if (type == SYS_TASK_GATE || type == SYS_TSS16_AVAIL || type == SYS_TSS32_AVAIL) {
    // Task gate or TSS: DPL < CPL or DPL < RPL → #GP(sel); not present → #NP(sel) (SDM JMP).
    if (descDpl(descHi) < cpl() || descDpl(descHi) < (sel & 3)) { gp(code); return; }
    if (!descPresent(descHi)) { faultCode(NP, code); return; }
    const target = type == SYS_TASK_GATE ? gateSelector(descLo) : sel;
    taskSwitch(target, kind == FAR_CALL ? SWITCH_CALL : SWITCH_JMP, 0, false, 0);
    return;
  }
  gp(code);
}

function commitEsp(): void { store<u32>(R_ESP << 2, frameEsp(), S_GPR); }

/**
 * Through a call gate: gate DPL < CPL or < RPL → #GP(gate); not present → #NP(gate). CALL to a
 * non-conforming segment of a more privileged ring switches to the TSS stack of that ring and
 * copies the gate's parameter count of words/dwords from the caller's stack (SDM Vol. 3, 5.8.5).
 * The gate's size (16/32-bit), not the CALL's operand size, sets the size of every push.
 */
function callGate(gateSel: u32, kind: u32): void {
  const gLo = descLo, gHi = descHi;
  const gcode = gateSel & 0xFFFC;
  if (descDpl(gHi) < cpl() || descDpl(gHi) < (gateSel & 3)) { gp(gcode); return; }
  if (!descPresent(gHi)) { faultCode(NP, gcode); return; }
  const gate32 = descType(gHi) == SYS_CALL_GATE32;
  const gsize: u32 = gate32 ? 4 : 2;
  const off = gate32 ? gateOffset(gLo, gHi) : gLo & 0xFFFF;
  const sel = gateSelector(gLo);
  if (!checkGateTarget(sel, kind == FAR_JMP)) return;
  const limit = descLimit(csLo, csHi);
  const dpl = descDpl(csHi);
  if (kind == FAR_JMP) {
    if (off > limit) { gp(0); return; }
    enter(sel, off, descConforming(csHi) ? cpl() : dpl);
    return;
  }
  if (!descConforming(csHi) && dpl < cpl()) {
    // CALL to an inner ring.
    if (!readTssStack(dpl, 0)) return;
    const newSS = tssSS;
    if (selIsNull(newSS)) { faultCode(TS, 0); return; }
    if (!checkSS(newSS, TS, dpl, 0)) return;
    const ssLo = descLo, ssHi = descHi, ssLin = descLin;
    const params = gateParams(gHi);
    frameBegin(descBase(ssLo, ssHi), descLimit(ssLo, ssHi), cacheAttr(ssHi), tssESP, dpl, newSS & 0xFFFC);
    if (off > limit) { gp(0); return; }
    const oldEsp = load<u32>(R_ESP << 2, S_GPR);
    if (!framePush(segSel(SR_SS), gsize)) return;
    if (!framePush(oldEsp, gsize)) return;
    // parameters: the one at the highest address is pushed first, keeping their order
    for (let i = <i32>params - 1; i >= 0; i--) {
      const p = readN(SR_SS, oldStackOff(oldEsp, <u32>i * gsize), gsize);
      if (pending) return;
      if (!framePush(p, gsize)) return;
    }
    if (!framePush(segSel(SR_CS), gsize)) return;
    if (!framePush(load<u32>(S_EIP), gsize)) return;
    if (!setAccessedAt(ssLin, ssHi)) return;
    if (!enter(sel, off, dpl)) return;
    setSegCache(SR_SS, newSS, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), cacheAttr(ssHi | (1 << 8)));
    commitEsp();
    return;
  }
  // Same privilege (conforming target or DPL = CPL).
  if (off > limit) { gp(0); return; }
  frameBeginCurrent(cpl(), 0);
  if (!framePush(segSel(SR_CS), gsize)) return;
  if (!framePush(load<u32>(S_EIP), gsize)) return;
  if (!enter(sel, off, cpl())) return;
  commitEsp();
}

/** Offset `delta` above the caller's stack pointer, wrapping as its stack size says. */
@inline function oldStackOff(esp: u32, delta: u32): u32 { return stack32() ? esp + delta : (esp + delta) & 0xFFFF; }

/**
 * RET far [imm16] (SDM Vol. 2, RET): the return CS must be code with RPL ≥ CPL (conforming: DPL ≤
 * RPL; non-conforming: DPL = RPL), present; RPL > CPL returns to an outer ring, popping SS:ESP
 * too and nulling data segment registers the outer ring may not use.
 */
export function farReturn(size: u32, release: u32): void {
  frameBeginCurrent(cpl(), 0);
  const off = framePeek(0, size); if (pending) return;
  const sel = framePeek(size, size) & 0xFFFF; if (pending) return;
  if (!checkReturnCS(sel)) return;
  const rpl = sel & 3;
  const target = size == 2 ? off & 0xFFFF : off;
  if (rpl == cpl()) {
    if (target > descLimit(csLo, csHi)) { gp(0); return; }
    frameRelease(2 * size + release);
    if (!enter(sel, target, rpl)) return;
    commitEsp();
    return;
  }
  // Outer ring: SS:ESP follow the released parameters.
  const esp = framePeek(2 * size + release, size); if (pending) return;
  const ss = framePeek(3 * size + release, size) & 0xFFFF; if (pending) return;
  if (!checkReturnSS(ss, rpl)) return;
  const ssLo = descLo, ssHi = descHi, ssLin = descLin;
  if (target > descLimit(csLo, csHi)) { gp(0); return; }
  if (!setAccessedAt(ssLin, ssHi)) return;
  if (!enter(sel, target, rpl)) return;
  setSegCache(SR_SS, ss, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), cacheAttr(ssHi | (1 << 8)));
  // 16-bit stack: only SP is replaced
  const newEsp = esp + release;
  if (cacheAttr(ssHi) & (1 << 14)) store<u32>(R_ESP << 2, newEsp, S_GPR);
  else store<u16>(R_ESP << 2, newEsp, S_GPR);
  nullInaccessibleSegs(rpl);
}

/** The CS checks of RET far and IRET. Leaves the descriptor in csLo/csHi. */
export function checkReturnCS(sel: u32): bool {
  if (selIsNull(sel)) { gp(0); return false; }
  const code = sel & 0xFFFC;
  if (!readDescriptor(sel)) { if (!pending) gp(code); return false; }
  const rpl = sel & 3;
  if (!descIsCode(descHi) || rpl < cpl()) { gp(code); return false; }
  if (descConforming(descHi) ? descDpl(descHi) > rpl : descDpl(descHi) != rpl) { gp(code); return false; }
  if (!descPresent(descHi)) { faultCode(NP, code); return false; }
  csLo = descLo; csHi = descHi; csLin = descLin;
  return true;
}

/**
 * The SS checks of a return to an outer ring: null → #GP(0); outside, RPL ≠ the return CS's RPL,
 * not writable data, or DPL ≠ that RPL → #GP(sel); not present → #SS(sel).
 */
export function checkReturnSS(ss: u32, rpl: u32): bool {
  if (selIsNull(ss)) { gp(0); return false; }
  return checkSS(ss, 13, rpl, 0);
}

/** Enter the code segment checkReturnCS accepted (used by IRET). */
export function enterReturnCS(sel: u32, off: u32, newCpl: u32): bool { return enter(sel, off, newCpl); }
export function returnCSLimit(): u32 { return descLimit(csLo, csHi); }
