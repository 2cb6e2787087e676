// The hypervisor state the core's PV fast paths read (assembly/hv: exception bouncing and
// HYPERVISOR_iret without leaving Wasm), and the counters they keep. The hypervisor owns the
// state; what the fast paths need is written through into core memory whenever it changes:
//   - kernel stack (stack_switch), virtual IOPL, guest-visible CR2, vm_assist: core state fields,
//     read and written through accessors (Vcpu, Domain.vmAssist), so there is one copy;
//   - the trap table (set_trap_table) → PV_TRAP_TABLE; the GDT frames (set_gdt) → PV_GDT_*;
//   - addresses: vcpu_info's upcall pending/mask bytes and arch.cr2, the hypervisor area's start,
//     where guest segments end.
// Bounces and irets done in the core are collected into Stats after every exit (collect()).
// `XENOLITH_PV_FASTPATH=0` (or DomainConfig.coreFastPath false) leaves every exception to the host.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { HYPERCALL, SHARED_INFO, VCPU_INFO } from "./abi.ts";

/** PV_FLAGS bit 0 (assembly/hv/bounce.ts PV_CORE_BOUNCE) */
const PV_CORE_BOUNCE = 1;
const TRAP_ENTRY = 8;

export function fastPathDefault(): boolean { return process.env.XENOLITH_PV_FASTPATH !== "0"; }

/** Fill the mirror for a new domain (its trap table empty, no GDT frames). */
export function initCoreMirror(d: Domain, fastPath: boolean): void {
  const m = d.machine, vi = d.sharedInfoMa + SHARED_INFO.vcpu_info;
  m.setField(L.S_PV_UPCALL_PENDING_MA, vi + VCPU_INFO.evtchn_upcall_pending);
  m.setField(L.S_PV_UPCALL_MASK_MA, vi + VCPU_INFO.evtchn_upcall_mask);
  m.setField(L.S_PV_ARCH_CR2_MA, vi + VCPU_INFO.arch_cr2);
  m.setField(L.S_PV_HV_START, d.hvStart);
  m.setField(L.S_PV_SEG_END, d.segmentEnd);
  setFastPath(d, fastPath);
  syncTrapTable(d);
  syncGdt(d);
}

export function setFastPath(d: Domain, on: boolean): void {
  const m = d.machine;
  m.setField(L.S_PV_FLAGS, on ? m.field(L.S_PV_FLAGS) | PV_CORE_BOUNCE : m.field(L.S_PV_FLAGS) & ~PV_CORE_BOUNCE);
}

/** set_trap_table changed the table: mirror all 256 entries. */
export function syncTrapTable(d: Domain): void {
  const dv = d.machine.core.dv;
  for (let v = 0; v < 256; v++) {
    const t = d.vcpu.trapTable[v], at = L.PV_TRAP_TABLE_BASE + v * TRAP_ENTRY;
    dv.setUint32(at, t ? t.address >>> 0 : 0, true);
    dv.setUint16(at + 4, t ? t.cs & 0xffff : 0, true);
    dv.setUint8(at + 6, t ? t.flags & 0xff : 0);
    dv.setUint8(at + 7, t ? 1 : 0);
  }
}

/** set_gdt changed the guest GDT. */
export function syncGdt(d: Domain): void {
  const m = d.machine, v = d.vcpu;
  m.setField(L.S_PV_GDT_ENTRIES, v.gdtEntries);
  for (let i = 0; i < 14; i++) m.setField(L.S_PV_GDT_MFN + 4 * i, v.gdtFrames[i] ?? 0);
}

/** Move the core's bounce and iret counts into the domain's Stats (after every exit). */
export function collect(d: Domain): void {
  const m = d.machine;
  const irets = m.field(L.S_PV_IRETS);
  if (irets) {
    d.stats.hypercalls.set(HYPERCALL.iret, (d.stats.hypercalls.get(HYPERCALL.iret) ?? 0) + irets);
    m.setField(L.S_PV_IRETS, 0);
  }
  if (!m.field(L.S_PV_BOUNCED)) return;
  m.setField(L.S_PV_BOUNCED, 0);
  const u32 = m.u32, base = L.PV_BOUNCE_COUNTS_BASE >> 2;
  for (let v = 0; v < 256; v++) {
    const n = u32[base + v];
    if (n) { d.stats.bounces.set(v, (d.stats.bounces.get(v) ?? 0) + n); u32[base + v] = 0; }
  }
}
