// The hypervisor's part of a PV domain's address space (xen-layout.ts draws the map): the
// entries every L2 table covering the hypervisor area carries, the per-domain L1 table behind
// them, and Xen's reserved GDT page with the flat selectors.
//
// The GDT lives at layout.gdtVirtStart, 15 pages, all mapped read-only: pages 0-13 are the
// guest's (set_gdt frames once it has some, the zero page before, as Xen maps unused slots, so a
// selector there loads a null descriptor and faults), page 14 Xen's reserved page. That page
// holds, from entry 0x1c00 (selector 0xe000), what Xen's gdt_table holds: null, ring-0 code and
// data (4 GiB), ring-1 and ring-3 code/data with base 0 and the layout's flat limit. Entries
// 0x1c07 up are zero. The CPU loads selectors from this GDT itself, with no hypervisor exit.
import { FLAT_RING1_CS, FLAT_RING1_DS, FLAT_RING3_CS, FLAT_RING3_DS } from "./abi.ts";
import { type Mfn, type Ma, mfnToMa, hex } from "./addr.ts";
import type { MachineFrames } from "./frames.ts";
import type { MachToPhys } from "./m2p.ts";
import type { PhysMem } from "./phys.ts";
import { type PvLayout, l2Index, FIRST_RESERVED_GDT_PAGE, FIRST_RESERVED_GDT_ENTRY } from "../boot/xen-layout.ts";

// Page-table entry bits (SDM Vol. 3, 4.3 / 4.4).
export const PTE_P = 1 << 0;
export const PTE_RW = 1 << 1;
export const PTE_US = 1 << 2;
export const PTE_A = 1 << 5;
export const PTE_D = 1 << 6;
export const PTE_PS = 1 << 7;
/** Xen's __PAGE_HYPERVISOR: present, writable, accessed, dirty, supervisor only. */
export const PAGE_HYPERVISOR = PTE_P | PTE_RW | PTE_A | PTE_D;
/** __PAGE_HYPERVISOR_RO: present, accessed, supervisor only. */
export const PAGE_HYPERVISOR_RO = PTE_P | PTE_A;

/** A segment descriptor as two little-endian dwords (SDM Vol. 3, 3.4.5). */
export function segmentDescriptor(base: number, limit20: number, access: number, flags4: number): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit20 & 0xffff);
  const hi = ((base >>> 16) & 0xff) | ((access & 0xff) << 8) | (limit20 & 0xf0000) | ((flags4 & 0xf) << 20) | (base & 0xff000000);
  return [lo >>> 0, hi >>> 0];
}

/** G (4 KiB granularity) and D/B (32-bit) */
const FLAGS_G_D = 0xc;
/**
 * access bytes: present, DPL, S=1, type code execute/read or data read/write, accessed (set as
 * the CPU sets it on the first load, so loading never writes the hypervisor's page)
 */
const CODE = (dpl: number) => 0x80 | (dpl << 5) | 0x10 | 0xb;
const DATA = (dpl: number) => 0x80 | (dpl << 5) | 0x10 | 0x3;

/** The reserved GDT entries by selector: [selector, descriptor]. */
export function reservedGdtEntries(layout: PvLayout): [number, [number, number]][] {
  const guestLimit = (layout.segmentLimit >>> 12) & 0xfffff; // in 4 KiB pages
  return [
    [0xe008, segmentDescriptor(0, 0xfffff, CODE(0), FLAGS_G_D)],
    [0xe010, segmentDescriptor(0, 0xfffff, DATA(0), FLAGS_G_D)],
    [FLAT_RING1_CS & ~3, segmentDescriptor(0, guestLimit, CODE(1), FLAGS_G_D)],
    [FLAT_RING1_DS & ~3, segmentDescriptor(0, guestLimit, DATA(1), FLAGS_G_D)],
    [FLAT_RING3_CS & ~3, segmentDescriptor(0, guestLimit, CODE(3), FLAGS_G_D)],
    [FLAT_RING3_DS & ~3, segmentDescriptor(0, guestLimit, DATA(3), FLAGS_G_D)],
  ];
}

export class HypervisorArea {
  /** the per-domain L1 table (maps the GDT pages) */
  readonly perdomainL1: Mfn;
  /** Xen's reserved GDT page */
  readonly gdtReserved: Mfn;
  /** a zeroed page mapped where the guest has no GDT frame */
  readonly zeroPage: Mfn;

  constructor(private readonly mem: PhysMem, frames: MachineFrames, readonly layout: PvLayout, readonly m2p: MachToPhys) {
    if (m2p.bytes !== layout.l1Span) throw new Error(`M2P of ${m2p.bytes} bytes does not fit the ${layout.name} layout's ${layout.l1Span}-byte superpage`);
    this.perdomainL1 = frames.allocXenHeap();
    this.gdtReserved = frames.allocXenHeap();
    this.zeroPage = frames.allocXenHeap();
    mem.zeroFrame(this.perdomainL1);
    mem.zeroFrame(this.gdtReserved);
    mem.zeroFrame(this.zeroPage);
    for (const [sel, [lo, hi]] of reservedGdtEntries(layout)) {
      const at = (mfnToMa(this.gdtReserved) + (sel - (FIRST_RESERVED_GDT_ENTRY << 3))) as Ma;
      mem.write32(at, lo);
      mem.write32((at + 4) as Ma, hi);
    }
    for (let p = 0; p < FIRST_RESERVED_GDT_PAGE; p++) this.mapGdtFrame(p, undefined);
    this.writeEntry(this.perdomainL1, FIRST_RESERVED_GDT_PAGE, mfnToMa(this.gdtReserved) | PAGE_HYPERVISOR_RO);
  }

  /**
   * The L2 entries of the hypervisor area: [index in the L2 covering it, entry]. Indices not
   * listed, from l2Index(hvStart) to the table's end, are not present.
   */
  l2Entries(): [number, number][] {
    const lay = this.layout;
    return [
      // M2P: one superpage, read-only, readable from ring 3 (Xen maps RO_MPT user-readable)
      [l2Index(lay, lay.m2pStart), this.m2p.baseMa | PTE_P | PTE_US | PTE_A | PTE_PS],
      [l2Index(lay, lay.perdomainStart), mfnToMa(this.perdomainL1) | PAGE_HYPERVISOR],
    ];
  }

  /** Write the hypervisor's slots into an L2 table page (the one L3[3] points to, for PAE). */
  installInto(l2: Mfn): void {
    const first = l2Index(this.layout, this.layout.hvStart);
    for (let i = first; i < this.layout.entriesPerTable; i++) this.writeEntry(l2, i, 0);
    for (const [i, e] of this.l2Entries()) this.writeEntry(l2, i, e);
  }

  /**
   * Map guest GDT page `page` (0-13) to machine frame `f` (set_gdt), or back to the zero page.
   * The caller flushes the TLB.
   */
  mapGdtFrame(page: number, f: Mfn | undefined): void {
    if (!Number.isInteger(page) || page < 0 || page >= FIRST_RESERVED_GDT_PAGE) throw new RangeError(`GDT page ${page} is not a guest GDT page`);
    // Xen's pv_set_gdt maps guest frames __PAGE_HYPERVISOR_RW: the CPU sets accessed and busy
    // bits through this mapping. The guest cannot reach it (its segments end below the
    // hypervisor area); its own mappings of the frame stay read-only. The shared zero page: RO.
    this.writeEntry(this.perdomainL1, page, f === undefined ? mfnToMa(this.zeroPage) | PAGE_HYPERVISOR_RO : mfnToMa(f) | PAGE_HYPERVISOR);
  }

  /** Write per-domain L1 slot `slot` (16-31: the LDT window, src/hv/ldt.ts); the caller flushes. */
  mapPerdomainSlot(slot: number, pte: number): void {
    if (!Number.isInteger(slot) || slot <= FIRST_RESERVED_GDT_PAGE + 1) throw new RangeError(`per-domain slot ${slot} is the GDT's or the TSS's`);
    this.writeEntry(this.perdomainL1, slot, pte);
  }

  private writeEntry(table: Mfn, index: number, value: number): void {
    const at = (mfnToMa(table) + index * this.layout.pteBytes) as Ma;
    if (index >= this.layout.entriesPerTable) throw new RangeError(`entry ${index} ${hex(at)}`);
    if (this.layout.pteBytes === 8) this.mem.write64(at, BigInt(value >>> 0));
    else this.mem.write32(at, value);
  }
}

