// The two x86_32 PV address-space layouts a kernel can ask for (XEN-PV-ABI.md, top):
//
//   PAE      XEN_ELFNOTE_PAE_MODE "yes"/"bimodal"; 3-level tables of 8-byte entries; magic
//            "xen-3.0-x86_32p"; the hypervisor owns 0xF5800000 and up.
//   classic  no PAE note; 2-level tables of 4-byte entries; magic "xen-3.0-x86_32"; the
//            hypervisor owns the top 64 MiB, 0xFC000000 and up (Xen's original design).
//
// The hypervisor's part of every address space, as xenolith lays it out:
//
//   PAE                          classic                      what
//   F5800000-F6800000 (16 MiB)   FC000000-FC400000 (4 MiB)    read-only M2P table (the headers'
//                                                             MACH2PHYS_VIRT_START/_END); its
//                                                             first superpage is mapped,
//                                                             user-readable
//   F6800000-F6A00000 (one L1)   FC400000-FC800000 (one L1)   per-domain area: the GDT, 15 pages
//                                                             (the guest's 14, Xen's reserved
//                                                             page last), all read-only
//   above                        above                        nothing mapped
//
// Flat guest segments end where the M2P ends, in both layouts (x86_32 Xen's
// GUEST_SEGMENT_MAX_ADDR = MACH2PHYS_VIRT_END; classic: limit 0xFC3FF pages, as XEN-PV-ABI.md
// says; PAE: 0xF67FF pages, where the ABI also allows 4 GiB): ring 1 is a supervisor level for
// paging, so only segment limits keep it out of the hypervisor's pages above the M2P. The
// hypervisor's mappings are read-only besides (the reserved descriptors have their accessed bits
// set, so the CPU never writes them).
import {
  HYPERVISOR_VIRT_START_PAE, HYPERVISOR_VIRT_START_CLASSIC, MACH2PHYS_VIRT_START_PAE,
  MACH2PHYS_VIRT_END_PAE, MACH2PHYS_VIRT_START_NONPAE, MACH2PHYS_VIRT_END_NONPAE,
} from "../hv/abi.ts";

export interface PvLayout {
  name: "pae" | "classic";
  pae: boolean;
  /** start_info.magic */
  magic: string;
  /** paging levels the guest's tables have */
  levels: 2 | 3;
  /** bytes per page-table entry */
  pteBytes: 4 | 8;
  /** entries per table page (L1, L2; a PAE L3 has 4) */
  entriesPerTable: 512 | 1024;
  /** bytes one L1 table maps (= one L2 entry, = a superpage) */
  l1Span: number;
  /** first linear address the hypervisor owns */
  hvStart: number;
  m2pStart: number;
  m2pEnd: number;
  /** the per-domain area: one hypervisor L1 table's span right after the M2P */
  perdomainStart: number;
  /** linear address of the GDT (guest pages 0-13, Xen's reserved page 14) */
  gdtVirtStart: number;
  /** byte limit of the flat ring-1/ring-3 segments */
  segmentLimit: number;
}

const MiB = 1 << 20;

/** Xen's GDT: 14 pages the guest may fill (set_gdt), then the reserved page with the flat selectors. */
export const FIRST_RESERVED_GDT_PAGE = 14;
export const FIRST_RESERVED_GDT_ENTRY = FIRST_RESERVED_GDT_PAGE * 512; // 0x1c00, selector 0xe000
export const GDT_PAGES = FIRST_RESERVED_GDT_PAGE + 1;
/** GDTR limit: through the end of the reserved page (Xen LAST_RESERVED_GDT_BYTE). */
export const GDT_LIMIT = GDT_PAGES * 4096 - 1;

export const PAE_LAYOUT: PvLayout = {
  name: "pae", pae: true, magic: "xen-3.0-x86_32p", levels: 3, pteBytes: 8, entriesPerTable: 512,
  l1Span: 2 * MiB, hvStart: HYPERVISOR_VIRT_START_PAE,
  m2pStart: MACH2PHYS_VIRT_START_PAE, m2pEnd: MACH2PHYS_VIRT_END_PAE,
  perdomainStart: MACH2PHYS_VIRT_END_PAE, gdtVirtStart: MACH2PHYS_VIRT_END_PAE,
  segmentLimit: MACH2PHYS_VIRT_END_PAE - 1,
};

export const CLASSIC_LAYOUT: PvLayout = {
  name: "classic", pae: false, magic: "xen-3.0-x86_32", levels: 2, pteBytes: 4, entriesPerTable: 1024,
  l1Span: 4 * MiB, hvStart: HYPERVISOR_VIRT_START_CLASSIC,
  m2pStart: MACH2PHYS_VIRT_START_NONPAE, m2pEnd: MACH2PHYS_VIRT_END_NONPAE,
  perdomainStart: MACH2PHYS_VIRT_END_NONPAE, gdtVirtStart: MACH2PHYS_VIRT_END_NONPAE,
  segmentLimit: MACH2PHYS_VIRT_END_NONPAE - 1,
};

export function layoutFor(pae: boolean): PvLayout {
  return pae ? PAE_LAYOUT : CLASSIC_LAYOUT;
}

/** Index of `lin`'s entry in its L2 table (PAE: within the L2 that L3[lin>>30] points to). */
export function l2Index(layout: PvLayout, lin: number): number {
  return layout.pae ? (lin >>> 21) & 0x1ff : lin >>> 22;
}
export function l1Index(layout: PvLayout, lin: number): number {
  return layout.pae ? (lin >>> 12) & 0x1ff : (lin >>> 12) & 0x3ff;
}
