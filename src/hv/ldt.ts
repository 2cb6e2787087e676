// The guest's LDT (Xen arch/x86/mm.c MMUEXT_SET_LDT, arch/x86/pv/descriptor-tables.c
// pv_destroy_ldt, arch/x86/pv/mm.c pv_map_ldt_shadow_page, arch/x86/traps.c
// handle_ldt_mapping_fault).
//
// MMUEXT_SET_LDT(linear_addr, nr_ents): the LDT is nr_ents descriptors at a page-aligned guest
// linear address (nr_ents 0: no LDT; a misaligned address or more than 8192 entries: -EINVAL).
// The CPU reads it through the hypervisor's per-domain LDT window (LDT_VIRT_START, 64 KiB after
// the GDT), whose 16 slots start empty: the first access to an LDT page faults into the hypervisor,
// which copies the guest's L1 entry for that page into the window (plus RW) after taking a
// descriptor-page type reference on the frame — validating all 512 descriptors by
// check_descriptor, the same type as GDT frames (mm/seg-desc.ts) — and restarts the instruction.
// When the guest page is not present or cannot be a descriptor page, the guest gets the #PF at
// ldt_base + offset with the hardware error code. A new SET_LDT drops the mapped pages (their
// type references) and flushes the TLB.
import type { Domain } from "./domain.ts";
import { ERRNO } from "./abi.ts";
import { L } from "../core/layout.gen.ts";
import { l1EntryMa } from "./mm/update-va-mapping.ts";
import { getDescriptorPage, putDescriptorPage } from "./mm/seg-desc.ts";

/** At most 8192 entries (64 KiB, 16 pages). */
export const LDT_MAX_ENTS = 8192;
export const LDT_PAGES = 16;
/** The per-domain window's first slot: 16 pages after the GDT's (Xen LDT_VIRT_START). */
export const LDT_SLOT = 16;
/** The LDTR selector the hypervisor loads (Xen's LDT_SELECTOR names a descriptor of its own GDT). */
const LDT_SELECTOR = 0xe040;

/** Linear address of the per-domain LDT window, or null without the builder's hypervisor area. */
export function ldtWindow(d: Domain): number | null {
  const lay = d.hvArea?.layout;
  return lay ? lay.gdtVirtStart + LDT_SLOT * 4096 : null;
}

/** MMUEXT_SET_LDT */
export function setLdt(d: Domain, linear: number, ents: number): number {
  ents >>>= 0;
  const ptr = ents ? linear >>> 0 : 0;
  if ((ptr & 0xfff) !== 0 || ents > LDT_MAX_ENTS) {
    d.logHv(`Bad args to SET_LDT: ptr=${ptr.toString(16)}, ents=${ents.toString(16)}`);
    return -ERRNO.EINVAL;
  }
  const v = d.vcpu;
  if (v.ldtEntries !== ents || v.ldtBase !== ptr) {
    if (destroyLdt(d)) d.flushTlb();
    v.ldtBase = ptr;
    v.ldtEntries = ents;
    loadLdt(d);
  }
  return 0;
}

/** load_LDT: the core's LDTR names the window with the guest's entry count. */
export function loadLdt(d: Domain): void {
  const m = d.machine, v = d.vcpu, win = ldtWindow(d);
  if (v.ldtEntries === 0 || win === null) {
    m.setField(L.S_LDTR_SEL, 0);
    m.setField(L.S_LDTR_BASE, 0);
    m.setField(L.S_LDTR_LIMIT, 0);
    return;
  }
  m.setField(L.S_LDTR_SEL, LDT_SELECTOR);
  m.setField(L.S_LDTR_BASE, win);
  m.setField(L.S_LDTR_LIMIT, v.ldtEntries * 8 - 1);
}

/** pv_destroy_ldt: unmap every shadow-mapped LDT page; true when there were some. */
export function destroyLdt(d: Domain): boolean {
  const mapped = d.vcpu.ldtMapped;
  if (mapped.size === 0) return false;
  for (const [page, mfn] of mapped) {
    d.hvArea?.mapPerdomainSlot?.(LDT_SLOT + page, 0);
    putDescriptorPage(d, mfn);
  }
  mapped.clear();
  return true;
}

/**
 * pv_map_ldt_shadow_page: map the guest's LDT page holding byte `off` into the window. False when
 * the guest page is not present or will not take the descriptor-page type.
 */
export function mapLdtShadowPage(d: Domain, off: number): boolean {
  const v = d.vcpu, win = ldtWindow(d);
  if (win === null || (off >>> 3) >= v.ldtEntries) return false;
  const page = off >>> 12;
  if (v.ldtMapped.has(page)) return true;
  const linear = (v.ldtBase + off) >>> 0;
  // guest_get_eff_kern_l1e: the guest's own L1 entry for the page.
  const at = linear < d.hvStart ? l1EntryMa(d, linear) : null;
  if (at === null) return false;
  const l1e = d.readMachineU32(at);
  if (!(l1e & 1)) return false;
  const mfn = l1e >>> 12;
  if (getDescriptorPage(d, mfn) !== 0) return false;
  // The guest's entry with RW added: the CPU sets accessed bits through it.
  d.hvArea!.mapPerdomainSlot!(LDT_SLOT + page, (l1e | 2) >>> 0);
  v.ldtMapped.set(page, mfn);
  d.invlpg(win + page * 4096);
  return true;
}

/**
 * handle_ldt_mapping_fault for a #PF at `cr2` inside the LDT window: true when handled (mapped,
 * or the #PF passed to the guest at ldt_base + offset); false when `cr2` is not in the window.
 */
export function ldtMappingFault(d: Domain, cr2: number, inject: (lin: number) => void): boolean {
  const win = ldtWindow(d);
  if (win === null || cr2 >>> 0 < win || cr2 >>> 0 >= win + LDT_PAGES * 4096) return false;
  const off = (cr2 - win) >>> 0;
  if (!mapLdtShadowPage(d, off)) inject((d.vcpu.ldtBase + off) >>> 0);
  return true;
}

/** A descriptor of the guest's LDT (for the hypervisor's own selector loads), or null. */
export function ldtDescriptor(d: Domain, index: number): [number, number] | null {
  const v = d.vcpu;
  if (index >= v.ldtEntries || !mapLdtShadowPage(d, index * 8)) return null;
  const mfn = v.ldtMapped.get((index * 8) >>> 12)!;
  const ma = mfn * 4096 + ((index * 8) & 0xfff);
  return [d.readMachineU32(ma), d.readMachineU32(ma + 4)];
}
