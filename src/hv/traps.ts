// Exceptions and software interrupts of a PV guest (Xen arch/x86/traps.c, pv/traps.c): the trap
// table the guest registers with set_trap_table, and what happens when the core exits with an
// exception (every exception comes here, except int $0x80 through the direct trap, direct-trap.ts,
// and what the core bounces itself: assembly/hv/bounce.ts mirrors this file for the common cases).
//
//  - `int $0x82` from ring 1 is a hypercall (hypervisor.ts); everything else is delivered through
//    the trap table by bounce.ts.
//  - Software `int n` (Xen's IDT gives vectors 3 and 4 DPL 3, 0x82 DPL 1 and all others DPL 0, so
//    the CPU raises #GP((n<<3)|2) and do_general_protection decides): delivered as a trap when the
//    guest registered vector n with DPL >= the caller's ring (ring 1 counts as 1), otherwise the
//    guest gets #GP((n<<3)|2) at the `int`.
//  - #PF: a kernel store to one of its L1 tables under writable_pagetables is emulated (ptwr.ts);
//    otherwise CR2 goes to vcpu_info.arch.cr2 and the guest-visible CR2; the error code's U/S bit says
//    whether the guest was in user mode (ring 3).
//  - #GP(0) may be a privileged instruction Xen emulates (emul-priv-op.ts); #UD may be the
//    forced-emulation prefix (cpuid.ts).
//  - #NM with the virtual CR0.TS set clears it, as Xen's do_device_not_available does.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { SHARED_INFO, TRAP_INFO, VCPU_INFO } from "./abi.ts";
import { bounce } from "./bounce.ts";
import { syncTrapTable } from "./core-mirror.ts";
import { emulatePrivilegedOp, emulateForcedPrefix, syncTs } from "./emul-priv-op.ts";
import { ptwrPageFault } from "./ptwr.ts";
import { emulateGateOp } from "./emul-gate-op.ts";
import { ldtMappingFault } from "./ldt.ts";

export const TRAP_DE = 0, TRAP_BP = 3, TRAP_OF = 4, TRAP_UD = 6, TRAP_NM = 7, TRAP_GP = 13, TRAP_PF = 14;
/** Vectors that push an error code (TRAP_HAVE_EC). */
export function hasErrorCode(v: number): boolean { return v === 8 || (v >= 10 && v <= 14) || v === 17; }
/** trap_info flags: bits 0-1 DPL for `int n`, bit 2 mask events on entry (TI_GET_DPL, TI_GET_IF). */
const TI_DPL = 3, TI_IF = 4;

export const EXC_KIND_FAULT = 0, EXC_KIND_TRAP = 1, EXC_KIND_SOFT = 2;

/** fixup_guest_code_selector: a selector with RPL 0 is given RPL 1. */
export function fixupSelector(sel: number): number { return (sel & 3) === 0 ? sel | 1 : sel; }

/** HYPERVISOR_set_trap_table(traps): entries up to one with address 0; NULL clears the table. */
export function setTrapTable(d: Domain, traps: number): number {
  const v = d.vcpu;
  if (traps === 0) { v.trapTable.fill(undefined); syncTrapTable(d); d.directTrap?.syncInt80(); return 0; }
  try {
    setEntries(d, traps);
  } finally {
    // also when a later entry faulted: the earlier ones stay applied
    syncTrapTable(d);
    d.directTrap?.syncInt80();
  }
  return 0;
}

function setEntries(d: Domain, traps: number): void {
  const v = d.vcpu;
  for (let at = traps >>> 0; ; at = (at + TRAP_INFO.size) >>> 0) {
    // Entries before a faulting one stay applied (Xen copies one at a time).
    const b = d.mem.read(at, TRAP_INFO.size);
    const dv = new DataView(b.buffer);
    const address = dv.getUint32(TRAP_INFO.address, true);
    if (address === 0) return;
    v.trapTable[b[TRAP_INFO.vector]] = { flags: b[TRAP_INFO.flags], cs: fixupSelector(dv.getUint16(TRAP_INFO.cs, true)), address };
  }
}

/** Deliver `vector` through the trap table (pv_inject_event). */
export function injectTrap(d: Domain, vector: number, errorCode?: number, what?: string): boolean {
  const ti = d.vcpu.trapTable[vector];
  d.stats.countBounce(vector);
  return bounce(d, {
    cs: ti?.cs ?? 0, eip: ti?.address ?? 0, errorCode,
    maskEvents: ((ti?.flags ?? 0) & TI_IF) !== 0,
    what: what ?? `vector ${vector}${errorCode !== undefined ? ` (error code 0x${errorCode.toString(16)})` : ""}`,
  });
}

/** The core exited with an exception that is not a hypercall. */
export function handleException(d: Domain): void {
  const m = d.machine;
  const vector = m.field(L.S_EXC_VECTOR), kind = m.field(L.S_EXC_KIND);
  const code = m.field(L.S_EXC_CODE), hasCode = m.field(L.S_EXC_HAS_CODE) !== 0;
  if (kind === EXC_KIND_SOFT && vector !== TRAP_BP && vector !== TRAP_OF) {
    softwareInterrupt(d, vector);
    return;
  }
  switch (vector) {
    case TRAP_GP: {
      // do_general_protection: #GP(0) may be a privileged instruction to emulate; any other
      // error code without EXT/IDT bits names a selector — a call gate to emulate
      // (emul-gate-op.ts), which raises the guest's fault itself when it is not one.
      const r = code === 0 ? emulatePrivilegedOp(d) : (code & 3) === 0 ? emulateGateOp(d, code) : false;
      if (r === true) return;
      if (r !== false) { deliverFault(d, r.vector, r.errorCode, r.cr2); return; }
      break;
    }
    case TRAP_UD:
      if (emulateForcedPrefix(d)) return;
      break;
    case TRAP_NM:
      d.vcpu.cr0Ts = false;
      syncTs(d);
      break;
    case TRAP_PF:
      // a kernel store to one of its L1 tables under writable_pagetables (fixup_page_fault)
      if (ptwrPageFault(d, m.field(L.S_CR2), code)) return;
      // a fault in the LDT window maps the guest's LDT page (ldt.ts) or becomes the guest's #PF
      if (ldtMappingFault(d, m.field(L.S_CR2), (lin) => deliverFault(d, TRAP_PF, code, lin))) return;
      deliverFault(d, TRAP_PF, code, m.field(L.S_CR2));
      return;
  }
  injectTrap(d, vector, hasCode || hasErrorCode(vector) ? code : undefined);
}

/**
 * pv_inject_event for a hardware exception the hypervisor raises (or passes on) at the current
 * EIP. A #PF publishes CR2 in vcpu_info.arch.cr2 and the guest-visible CR2, and its error code's
 * U/S bit says whether the guest was in user mode (ring 3).
 */
export function deliverFault(d: Domain, vector: number, code: number, cr2 = 0): void {
  if (vector !== TRAP_PF) { injectTrap(d, vector, hasErrorCode(vector) ? code : undefined); return; }
  d.vcpu.cr2 = cr2 >>> 0;
  d.setSharedU32(SHARED_INFO.vcpu_info + VCPU_INFO.arch_cr2, cr2);
  const ec = (code & ~4) | (d.cpl === 3 ? 4 : 0);
  injectTrap(d, TRAP_PF, ec, `#PF at 0x${(cr2 >>> 0).toString(16)} (error code 0x${ec.toString(16)})`);
}

/** `int n` (n not 3/4, not a hypercall): permitted by the registered DPL, else #GP((n<<3)|2). */
export function softwareInterrupt(d: Domain, n: number): void {
  const ti = d.vcpu.trapTable[n];
  const ring = d.cpl === 3 ? 3 : 1; // permit_softint: the guest kernel counts as ring 1
  if (ti && (ti.flags & TI_DPL) >= ring) {
    injectTrap(d, n, undefined, `int $0x${n.toString(16)}`);
    return;
  }
  // The #GP is a fault at the `int` itself.
  d.machine.eip = d.machine.field(L.S_INSTR_EIP);
  injectTrap(d, TRAP_GP, (n << 3) | 2);
}
