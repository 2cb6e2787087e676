// The initial state of a PV domain's vCPU 0 (XEN-PV-ABI.md §1 "Initial vCPU"; Xen's
// libxc vcpu_x86_32 and arch_set_info_guest):
//
//   EIP = entry, ESP = top of the boot stack, ESI = virtual address of start_info, other GPRs 0
//   EFLAGS = 0x200 (IF; the real IF stays 1 while a PV guest runs; its virtual IF is
//            !evtchn_upcall_mask, initially masked)
//   CS = 0xe019 (FLAT_RING1_CS), SS = DS = ES = FS = GS = 0xe021 (FLAT_RING1_DS), CPL 1
//   CR3 = the top page table's frame (guest-visible as xen_pfn_to_cr3(mfn) = mfn<<12 | mfn>>20)
//   guest-visible CR4 has PAE in the PAE layout; DR6 = 0xffff0ff0, DR7 = 0x400
//   kernel stack for ring 3 → ring 1 = the initial SS:ESP until stack_switch
//   trap table and callbacks empty; vm_assist pae_extended_cr3 for "bimodal"/extended-cr3 kernels
//
// What the core runs with differs where the hypervisor keeps control: CR0 has WP (always on for
// PV, XEN-PV-ABI.md §3) and PG; CR4 has PAE (PAE layout) or PSE (classic: the M2P table is
// mapped with a 4 MiB page); EFER.NXE lets PAE guests use the NX bit; GDTR points at the
// hypervisor's GDT (xen-layout.ts).
import type { Machine } from "../core/machine.ts";
import { L } from "../core/layout.gen.ts";
import { FLAT_RING1_CS, FLAT_RING1_DS, VMASST_TYPE } from "../hv/abi.ts";
import type { Mfn } from "../hv/addr.ts";
import { mfnToMa } from "../hv/addr.ts";
import { reservedGdtEntries } from "../hv/hv-area.ts";
import { type PvLayout, GDT_LIMIT } from "./xen-layout.ts";

export const CR0_PE = 1 << 0, CR0_MP = 1 << 1, CR0_ET = 1 << 4, CR0_NE = 1 << 5, CR0_WP = 1 << 16, CR0_PG = 1 << 31;
export const CR4_PSE = 1 << 4, CR4_PAE = 1 << 5;
export const EFER_NXE = 1 << 11;
/** MODE bit 3: a PV guest runs (src/core/layout-table.ts) */
export const MODE_PV = 1 << 3;

export interface PvVcpuState {
  eip: number;
  esp: number;
  esi: number;
  eflags: number;
  cs: number;
  /** SS, DS, ES, FS, GS */
  ds: number;
  cpl: 1;
  /** the core's control registers */
  cr0: number;
  cr3: number;
  cr4: number;
  efer: number;
  /** what the guest reads from CR3 and CR4 (Xen's ctrlreg[3], the CR4 it reports) */
  guestCr3: number;
  guestCr4: number;
  dr6: number;
  dr7: number;
  gdtrBase: number;
  gdtrLimit: number;
  /** stack for ring 3 → ring 1 transitions until stack_switch (Xen kernel_ss/kernel_sp) */
  kernelSs: number;
  kernelSp: number;
  /** vm_assist bits enabled at start */
  vmAssist: number;
}

/** xen_pfn_to_cr3 (arch-x86/xen-x86_32.h): frames above 4 GiB fold their high bits into the low 12. */
export function xenPfnToCr3(f: number): number {
  return ((f << 12) | (f >>> 20)) >>> 0;
}

export function initialVcpuState(layout: PvLayout, p: {
  entry: number; stackTop: number; startInfoVirt: number; topTable: Mfn; paeMode: string | undefined;
}): PvVcpuState {
  // libxc: extended-cr3 ("yes" from the note, XEN_PAE_EXTCR3) and bimodal kernels start with
  // vm_assist(pae_extended_cr3) on.
  const extCr3 = layout.pae && p.paeMode !== undefined && /^(yes|bimodal)/.test(p.paeMode);
  return {
    eip: p.entry >>> 0,
    esp: p.stackTop >>> 0,
    esi: p.startInfoVirt >>> 0,
    eflags: 0x200,
    cs: FLAT_RING1_CS,
    ds: FLAT_RING1_DS,
    cpl: 1,
    cr0: (CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG) >>> 0,
    cr3: mfnToMa(p.topTable),
    cr4: layout.pae ? CR4_PAE : CR4_PSE,
    efer: layout.pae ? EFER_NXE : 0,
    guestCr3: xenPfnToCr3(p.topTable),
    guestCr4: layout.pae ? CR4_PAE : 0,
    dr6: 0xffff0ff0,
    dr7: 0x400,
    gdtrBase: layout.gdtVirtStart,
    gdtrLimit: GDT_LIMIT,
    kernelSs: FLAT_RING1_DS,
    kernelSp: p.stackTop >>> 0,
    vmAssist: extCr3 ? 1 << VMASST_TYPE.pae_extended_cr3 : 0,
  };
}

/** The hidden part of a flat selector as the CPU caches it after loading it (accessed bit set). */
function cachedAttr(layout: PvLayout, selector: number): number {
  const e = reservedGdtEntries(layout).find(([sel]) => sel === (selector & ~3));
  if (!e) throw new Error(`selector 0x${selector.toString(16)} is not one of the hypervisor's flat selectors`);
  return ((e[1][1] >>> 8) & 0xffff) | 1;
}

/** Put the state into the machine's CPU (registers, segments, control registers, TLB flushed). */
export function loadVcpuState(m: Machine, layout: PvLayout, s: PvVcpuState): void {
  for (const r of ["eax", "ecx", "edx", "ebx", "ebp", "edi"] as const) m.setReg(r, 0);
  m.setReg("esp", s.esp);
  m.setReg("esi", s.esi);
  m.eip = s.eip;
  m.setField(L.S_CR0, s.cr0);
  m.setField(L.S_CR3, s.cr3);
  m.setField(L.S_CR4, s.cr4);
  m.setField(L.S_EFER, s.efer);
  m.setField(L.S_DR + 6 * 4, s.dr6);
  m.setField(L.S_DR + 7 * 4, s.dr7);
  m.setField(L.S_GDTR_BASE, s.gdtrBase);
  m.setField(L.S_GDTR_LIMIT, s.gdtrLimit);
  m.setField(L.S_MODE, m.field(L.S_MODE) | MODE_PV);
  const limit = layout.segmentLimit;
  for (const sreg of [0, 2, 3, 4, 5]) m.setSegment(sreg, s.ds, 0, limit, cachedAttr(layout, s.ds));
  m.setCpl(s.cpl);
  m.setSegment(1, s.cs, 0, limit, cachedAttr(layout, s.cs));
  m.eflags = s.eflags;
  m.core.exports.tlbFlush(0);
}
