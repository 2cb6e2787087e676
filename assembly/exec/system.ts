// System instructions (SDM Vol. 2): operands decoded here, rules in priv/ (cr.ts, msr.ts,
// system.ts). Privileged instructions at CPL > 0 raise #GP(0) before touching their operands
// (SDM Vol. 3, 5.9).
import {
  S_GDTR_BASE, S_GDTR_LIMIT, S_IDTR_BASE, S_IDTR_LIMIT, S_LDTR_SEL, S_TR_SEL, S_CR0, S_CR2,
  S_CR3, S_CR4, S_DR, R_EAX, R_ECX, R_EDX,
} from "../layout";
import { cpl, reg16, reg32, setReg32, setReg16, segBase } from "../state";
import { pending, gp, ud } from "../priv/exception";
import { read16, read32, write16, write32 } from "../mmu/access";
import { tlbInvalidatePage } from "../mmu/tlb";
import { CR0_PE, CR0_TS } from "../mmu/walk";
import { writeCr0, writeCr2, writeCr3, writeCr4 } from "../priv/cr";
import { msrRead, msrWrite, msrValue } from "../priv/msr";
import { loadLdtr, loadTr, sysenter, sysexit } from "../priv/system";
import { unsupported, UNSUP_BREAKPOINTS } from "../priv/unsupported";
import { r0, r1, seg, ea } from "./operand";

/** #GP(0) unless CPL = 0. */
@inline function priv(): bool {
  if (cpl() != 0) { gp(0); return false; }
  return true;
}

/** LGDT/LIDT m16&32: limit then base; with a 16-bit operand only 24 bits of base are used. */
export function lgdtLidt(r: usize, which: u32, size: u32): void {
  if (!priv()) return;
  const s = seg(r), a = ea(r);
  const limit = read16(s, a); if (pending) return;
  let base = read32(s, a + 2); if (pending) return;
  if (size == 2) base &= 0xFFFFFF;
  store<u32>(which ? S_IDTR_LIMIT : S_GDTR_LIMIT, limit);
  store<u32>(which ? S_IDTR_BASE : S_GDTR_BASE, base);
}

/** SGDT/SIDT: not privileged; stores the 16-bit limit and the 32-bit base. */
export function sgdtSidt(r: usize, which: u32): void {
  const s = seg(r), a = ea(r);
  write16(s, a, load<u32>(which ? S_IDTR_LIMIT : S_GDTR_LIMIT)); if (pending) return;
  write32(s, a + 2, load<u32>(which ? S_IDTR_BASE : S_GDTR_BASE));
}

function sysValue(which: u32): u32 {
  return which == 0 ? load<u32>(S_LDTR_SEL) : which == 1 ? load<u32>(S_TR_SEL) : load<u32>(S_CR0);
}
/**
 * SLDT/STR/SMSW to a register: a 32-bit destination gets the zero-extended selector (SLDT, STR)
 * or all of CR0 (SMSW, as P6 and later processors do); a 16-bit one changes only its low half.
 */
export function storeSysR(r: usize, which: u32, size: u32): void {
  const v = sysValue(which);
  if (size == 4) setReg32(r0(r), which == 2 ? v : v & 0xFFFF); else setReg16(r0(r), v);
}
/** ...to memory: always 16 bits. */
export function storeSysM(r: usize, which: u32, size: u32): void { write16(seg(r), ea(r), sysValue(which)); }

function loadSys(which: u32, v: u32): void {
  if (which == 0) { loadLdtr(v); return; }
  if (which == 1) { loadTr(v); return; }
  // LMSW: loads PE MP EM TS only and cannot clear PE (SDM Vol. 2, LMSW).
  const cr0 = load<u32>(S_CR0);
  writeCr0((cr0 & ~0xE) | (v & 0xF) | (cr0 & CR0_PE));
}
export function loadSysR(r: usize, which: u32): void {
  if (!priv()) return;
  loadSys(which, reg16(r0(r)));
}
export function loadSysM(r: usize, which: u32): void {
  if (!priv()) return;
  const v = read16(seg(r), ea(r)); if (pending) return;
  loadSys(which, v);
}

/** MOV CRn, r32: CR0, CR2, CR3, CR4 exist; the others are #UD. */
export function movToCr(r: usize): void {
  const n = r0(r);
  if (n != 0 && n != 2 && n != 3 && n != 4) { ud(); return; }
  if (!priv()) return;
  const v = reg32(r1(r));
  if (n == 0) writeCr0(v); else if (n == 2) writeCr2(v); else if (n == 3) writeCr3(v); else writeCr4(v);
}
export function movFromCr(r: usize): void {
  const n = r1(r);
  if (n != 0 && n != 2 && n != 3 && n != 4) { ud(); return; }
  if (!priv()) return;
  setReg32(r0(r), load<u32>(n == 0 ? S_CR0 : n == 2 ? S_CR2 : n == 3 ? S_CR3 : S_CR4));
}

/**
 * MOV DRn: DR4/DR5 alias DR6/DR7 unless CR4.DE, when they are #UD (SDM Vol. 3, 17.2.2). DR6 and
 * DR7 have fixed bits. Breakpoints are not implemented: enabling one in DR7 stops the run.
 */
const CR4_DE: u32 = 1 << 3;
function drIndex(n: u32): i32 {
  if (n == 4 || n == 5) {
    if (load<u32>(S_CR4) & CR4_DE) { ud(); return -1; }
    return <i32>(n + 2);
  }
  return <i32>n;
}
export function movToDr(r: usize): void {
  if (!priv()) return;
  const i = drIndex(r0(r)); if (i < 0) return;
  let v = reg32(r1(r));
  if (i == 6) v = (v & 0x0000E00F) | 0xFFFF0FF0;
  if (i == 7) {
    v = (v & 0xFFFF2BFF) | 0x400;
    if (v & 0xFF) { unsupported(UNSUP_BREAKPOINTS); return; }
  }
  store<u32>(S_DR + (<u32>i << 2), v);
}
export function movFromDr(r: usize): void {
  if (!priv()) return;
  const i = drIndex(r1(r)); if (i < 0) return;
  let v = load<u32>(S_DR + (<u32>i << 2));
  if (i == 6) v |= 0xFFFF0FF0;
  if (i == 7) v |= 0x400;
  setReg32(r0(r), v);
}

export function clts(r: usize): void {
  if (!priv()) return;
  store<u32>(S_CR0, load<u32>(S_CR0) & ~CR0_TS);
}

/** INVLPG m: drop the TLB entry of the linear address (no segment-limit check, no fault). */
export function invlpg(r: usize): void {
  if (!priv()) return;
  tlbInvalidatePage((segBase(seg(r)) + ea(r)) >>> 12);
}

/** WBINVD / INVD: no caches to write back. */
export function cacheOp(r: usize): void { priv(); }

export function rdmsr(r: usize): void {
  if (!priv()) return;
  if (!msrRead(reg32(R_ECX))) return;
  setReg32(R_EAX, u32(msrValue));
  setReg32(R_EDX, u32(msrValue >> 32));
}
export function wrmsr(r: usize): void {
  if (!priv()) return;
  msrWrite(reg32(R_ECX), (<u64>reg32(R_EDX) << 32) | reg32(R_EAX));
}

export function sysenterOp(r: usize): void { sysenter(); }
export function sysexitOp(r: usize): void { sysexit(cpl()); }
