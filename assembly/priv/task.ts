// Hardware task switches with 32-bit TSSs (SDM Vol. 3, 7.3): JMP or CALL to a TSS or a task
// gate, an interrupt or exception through a task gate, IRET with NT = 1. 16-bit TSSs and the
// T (debug trap) flag are not supported and stop the run (unsupported.ts).
import {
  S_EIP, S_INSTR_EIP, S_GPR, S_SEG_SEL, S_TR_SEL, S_TR_BASE, S_TR_LIMIT, S_TR_ATTR, S_CR0, S_CR3,
  S_CR4, S_LDTR_SEL, S_LDTR_BASE, S_LDTR_LIMIT, R_ESP, SR_CS, SR_SS,
} from "../layout";
import { pending, gp, faultCode, NP, TS } from "./exception";
import {
  readDescriptor, descLo, descHi, descLin, descType, descIsSeg, descPresent, descBase, descLimit,
  descAttr, descIsCode, descConforming, descDpl, descRW, selIsNull, writeDescHi, setAccessedAt,
  SYS_TSS16_AVAIL, SYS_TSS16_BUSY, SYS_TSS32_AVAIL, SYS_TSS32_BUSY, SYS_LDT, setDesc,
} from "./descriptor";
import { setSegFromDesc, setSegCache, setCpl, checkSS } from "./segment";
import { frameBeginCurrent, framePush, frameEsp } from "./frame";
import { readLinSlow, writeLinSlow } from "../mmu/access";
import { ACC_WRITE, CR0_PG, CR0_TS, CR4_PGE } from "../mmu/walk";
import { tlbFlush } from "../mmu/tlb";
import { unsupported, UNSUP_TSS16, UNSUP_TASK_T, UNSUP_SINGLE_STEP } from "./unsupported";
import { getEflags, setEflags, NT, TF } from "../exec/flags";
import { segSel } from "../state";

export const SWITCH_JMP: u32 = 0;
export const SWITCH_CALL: u32 = 1; // also interrupts and exceptions through a task gate
export const SWITCH_IRET: u32 = 2;

const BUSY: u32 = 2 << 8; // type bit 1 of a TSS descriptor, in the high dword

// 32-bit TSS offsets (SDM Vol. 3, Figure 7-2).
const T_LINK: u32 = 0x00, T_CR3: u32 = 0x1C, T_EIP: u32 = 0x20, T_EFLAGS: u32 = 0x24;
const T_GPR: u32 = 0x28, T_SEG: u32 = 0x48, T_LDT: u32 = 0x60, T_TRAP: u32 = 0x64;

/** The new task's general and segment registers, read before anything is committed. */
const GPRS: usize = memory.data(32, 4);
const SEGS: usize = memory.data(24, 4);
@inline function seg(i: u32): u32 { return load<u32>(SEGS + (i << 2)); }

@inline function rd(lin: u32, size: u32): u32 { return readLinSlow(lin, size, 0); }
@inline function wr(lin: u32, v: u32, size: u32): void { writeLinSlow(lin, v, size, ACC_WRITE); }

/**
 * Switch to the task whose TSS selector is `sel`. `ext` is the EXT bit for error codes; an
 * exception through a task gate passes its error code, pushed on the new task's stack.
 */
export function taskSwitch(sel: u32, how: u32, ext: u32, hasCode: bool, code: u32): void {
  const iret = how == SWITCH_IRET;
  const selCode = (sel & 0xFFFC) | ext;
  // The new TSS descriptor: in the GDT, a TSS, available (busy for IRET), present, limit ≥ 0x67.
  if ((sel & 4) || !readDescriptor(sel)) { if (!pending) { if (iret) faultCode(TS, selCode); else gp(selCode); } return; }
  const nLo = descLo, nHi = descHi, nLin = descLin;
  const type = descType(nHi);
  if (descIsSeg(nHi) || (type != SYS_TSS32_AVAIL && type != SYS_TSS32_BUSY && type != SYS_TSS16_AVAIL && type != SYS_TSS16_BUSY)) {
    if (iret) faultCode(TS, selCode); else gp(selCode);
    return;
  }
  if (type == SYS_TSS16_AVAIL || type == SYS_TSS16_BUSY) { unsupported(UNSUP_TSS16); return; }
  if (iret ? type != SYS_TSS32_BUSY : type != SYS_TSS32_AVAIL) { if (iret) faultCode(TS, selCode); else gp(selCode); return; }
  if (!descPresent(nHi)) { faultCode(NP, selCode); return; }
  const nBase = descBase(nLo, nHi), nLimit = descLimit(nLo, nHi);
  if (nLimit < 0x67) { faultCode(TS, selCode); return; }
  const oType = load<u32>(S_TR_ATTR) & 0xF;
  if (oType != SYS_TSS32_BUSY && oType != SYS_TSS32_AVAIL) { unsupported(UNSUP_TSS16); return; }

  // Read the whole new state first, so a page fault leaves the old task untouched.
  const nCr3 = rd(nBase + T_CR3, 4); if (pending) return;
  const nEip = rd(nBase + T_EIP, 4); if (pending) return;
  let nFlags = rd(nBase + T_EFLAGS, 4); if (pending) return;
  for (let i: u32 = 0; i < 8; i++) { store<u32>(GPRS + (i << 2), rd(nBase + T_GPR + (i << 2), 4)); if (pending) return; }
  for (let i: u32 = 0; i < 6; i++) { store<u32>(SEGS + (i << 2), rd(nBase + T_SEG + (i << 2), 2)); if (pending) return; }
  const nLdt = rd(nBase + T_LDT, 2); if (pending) return;
  const trap = rd(nBase + T_TRAP, 2); if (pending) return;
  if (trap & 1) { unsupported(UNSUP_TASK_T); return; }
  if (nFlags & TF) { unsupported(UNSUP_SINGLE_STEP); return; }

  // Save the current task (EIP is where it resumes; NT cleared in its image by IRET).
  const oBase = load<u32>(S_TR_BASE), oSel = load<u32>(S_TR_SEL);
  let oFlags = getEflags();
  if (iret) oFlags &= ~NT;
  wr(oBase + T_EIP, load<u32>(S_EIP), 4); if (pending) return;
  wr(oBase + T_EFLAGS, oFlags, 4); if (pending) return;
  for (let i: u32 = 0; i < 8; i++) { wr(oBase + T_GPR + (i << 2), load<u32>(i << 2, S_GPR), 4); if (pending) return; }
  for (let i: u32 = 0; i < 6; i++) { wr(oBase + T_SEG + (i << 2), segSel(i), 2); if (pending) return; }
  // JMP and IRET leave the old task: its descriptor is no longer busy.
  if (how != SWITCH_CALL) {
    if (!readDescriptor(oSel)) { if (!pending) faultCode(TS, (oSel & 0xFFFC) | ext); return; }
    if (!writeDescHi(descLin, descHi & ~BUSY)) return;
  }
  // CALL and interrupts nest: the back link names the old task and NT is set.
  if (how == SWITCH_CALL) {
    wr(nBase + T_LINK, oSel, 2); if (pending) return;
    nFlags |= NT;
  }
  if (!iret && !writeDescHi(nLin, nHi | BUSY)) return;

  // Commit: TR, CR0.TS, CR3, registers; then qualify the segments in the new task's context.
  store<u32>(S_TR_SEL, sel & 0xFFFF);
  store<u32>(S_TR_BASE, nBase);
  store<u32>(S_TR_LIMIT, nLimit);
  store<u32>(S_TR_ATTR, descAttr(nHi | BUSY));
  store<u32>(S_CR0, load<u32>(S_CR0) | CR0_TS);
  if (load<u32>(S_CR0) & CR0_PG) {
    store<u32>(S_CR3, nCr3);
    tlbFlush((load<u32>(S_CR4) & CR4_PGE) != 0);
  }
  for (let i: u32 = 0; i < 8; i++) store<u32>(i << 2, load<u32>(GPRS + (i << 2)), S_GPR);
  setEflags(nFlags);
  store<u32>(S_EIP, nEip);
  // Faults from here on belong to the new task: they report its first instruction.
  store<u32>(S_INSTR_EIP, nEip);
  for (let i: u32 = 0; i < 6; i++) store<u32>(i << 2, seg(i), S_SEG_SEL);
  store<u32>(S_LDTR_SEL, nLdt);
  if (!loadNewTaskSegments(nLdt, ext)) return;
  if (hasCode) {
    frameBeginCurrent(load<u32>(S_SEG_SEL + (SR_CS << 2)) & 3, ext);
    if (!framePush(code, 4)) return;
    store<u32>(R_ESP << 2, frameEsp(), S_GPR);
  }
}

/** SDM Vol. 3, Table 7-1: the new task's LDT, CS, SS and data segments, with #TS/#NP/#SS. */
function loadNewTaskSegments(ldt: u32, ext: u32): bool {
  // LDT: null is allowed; otherwise an LDT descriptor in the GDT.
  if (selIsNull(ldt)) {
    store<u32>(S_LDTR_BASE, 0); store<u32>(S_LDTR_LIMIT, 0);
  } else {
    const c = (ldt & 0xFFFC) | ext;
    if ((ldt & 4) || !readDescriptor(ldt)) { if (!pending) faultCode(TS, c); return false; }
    if (descIsSeg(descHi) || descType(descHi) != SYS_LDT || !descPresent(descHi)) { faultCode(TS, c); return false; }
    store<u32>(S_LDTR_BASE, descBase(descLo, descHi));
    store<u32>(S_LDTR_LIMIT, descLimit(descLo, descHi));
  }
  // CS: code; non-conforming DPL = RPL, conforming DPL ≤ RPL; present. CPL = its RPL.
  const cs = seg(SR_CS);
  const newCpl = cs & 3;
  const cc = (cs & 0xFFFC) | ext;
  if (selIsNull(cs) || !readDescriptor(cs)) { if (!pending) faultCode(TS, cc); return false; }
  if (!descIsCode(descHi) || (descConforming(descHi) ? descDpl(descHi) > newCpl : descDpl(descHi) != newCpl)) { faultCode(TS, cc); return false; }
  if (!descPresent(descHi)) { faultCode(NP, cc); return false; }
  if (!setAccessedAt(descLin, descHi)) return false;
  descHiAccessed();
  setSegFromDesc(SR_CS, cs);
  setCpl(newCpl);
  // SS: writable data with RPL = DPL = CPL, present (#SS).
  const ss = seg(SR_SS);
  if (selIsNull(ss)) { faultCode(TS, ext); return false; }
  if (!checkSS(ss, TS, newCpl, ext)) return false;
  if (!setAccessedAt(descLin, descHi)) return false;
  descHiAccessed();
  setSegFromDesc(SR_SS, ss);
  // DS, ES, FS, GS: null allowed; data or readable code; privilege unless conforming.
  for (let s: u32 = 0; s < 6; s++) {
    if (s == SR_CS || s == SR_SS) continue;
    const sel = seg(s);
    if (selIsNull(sel)) { setSegCache(s, sel, 0, 0, 0); continue; }
    const c = (sel & 0xFFFC) | ext;
    if (!readDescriptor(sel)) { if (!pending) faultCode(TS, c); return false; }
    const hi = descHi;
    if (!descIsSeg(hi) || (descIsCode(hi) && !descRW(hi))) { faultCode(TS, c); return false; }
    if (!(descIsCode(hi) && descConforming(hi)) && (descDpl(hi) < newCpl || descDpl(hi) < (sel & 3))) { faultCode(TS, c); return false; }
    if (!descPresent(hi)) { faultCode(NP, c); return false; }
    if (!setAccessedAt(descLin, hi)) return false;
    descHiAccessed();
    setSegFromDesc(s, sel);
  }
  return true;
}

/** The accessed bit was just written: make the cached copy say so too. */
function descHiAccessed(): void { setDesc(descLo, descHi | (1 << 8)); }
