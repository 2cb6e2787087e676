// The initial page tables of a PV domain (XEN-PV-ABI.md §1; libxc setup_pgtables_x86_32[_pae]):
//
//   PAE      L3 (pt frame 0): all 4 entries point to L2 pages (pt frames 1-4), flags P|RW|U|A|D.
//            Xen's PV L3 entries are not architectural PDPTEs: RW/U/A/D are legal in them and
//            the core walks them like any other level. The L2 behind L3[3] carries the
//            hypervisor's slots (hv-area.ts).
//   classic  L2 (pt frame 0), whose last 16 entries are the hypervisor's slots.
//   both     L1 tables (the remaining pt frames) map [virt_base, mapped_end) page by page to
//            pseudo-physical frame (va - virt_base) >> 12, i.e. to machine frame p2m[pfn], with
//            P|RW|A; the page-table frames themselves read-only (P|A). L2 entries for L1 tables:
//            P|RW|U|A|D. No U bit in the L1s: the kernel runs on supervisor mappings.
import { type Mfn, type Ma, mfnToMa, PAGE_SIZE } from "../hv/addr.ts";
import { type HypervisorArea, PTE_P, PTE_RW, PTE_US, PTE_A, PTE_D } from "../hv/hv-area.ts";
import type { PhysMem } from "../hv/phys.ts";
import { type PvLayout, l2Index, l1Index } from "./xen-layout.ts";

export const L1_PROT = PTE_P | PTE_RW | PTE_A;
export const L2_PROT = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US;
export const L3_PROT = PTE_P | PTE_RW | PTE_A | PTE_D | PTE_US;

/** Page-table frames the initial mappings of [virtBase, mappedEnd) need, in the order they are laid out. */
export function countPageTables(layout: PvLayout, virtBase: number, mappedEnd: number): { top: number; l2: number; l1: number; total: number } {
  const l1 = Math.ceil(mappedEnd / layout.l1Span) - Math.floor(virtBase / layout.l1Span);
  const top = 1;
  const l2 = layout.pae ? 4 : 0; // PAE: an L2 for every L3 slot; classic: the top table is the L2
  return { top, l2, l1, total: top + l2 + l1 };
}

export interface PageTablePlan {
  layout: PvLayout;
  virtBase: number;
  mappedEnd: number;
  /** pseudo-physical frame of the first page-table frame; the tables occupy [ptPfn, ptPfn + ptFrames) */
  ptPfn: number;
  ptFrames: number;
  /** pseudo-physical → machine */
  p2m: (pfn: number) => Mfn;
}

/** Write the initial page tables into the domain's frames. Returns the top table's machine frame. */
export function buildInitialPageTables(mem: PhysMem, hv: HypervisorArea, plan: PageTablePlan): Mfn {
  const { layout, virtBase, mappedEnd, ptPfn, ptFrames, p2m } = plan;
  const count = countPageTables(layout, virtBase, mappedEnd);
  if (count.total !== ptFrames) throw new Error(`page-table plan has ${ptFrames} frames, the mappings need ${count.total}`);
  const ptMfn = (i: number) => p2m(ptPfn + i);
  for (let i = 0; i < ptFrames; i++) mem.zeroFrame(ptMfn(i));
  const put = (table: Mfn, index: number, value: number) => {
    const at = (mfnToMa(table) + index * layout.pteBytes) as Ma;
    if (layout.pteBytes === 8) mem.write64(at, BigInt(value >>> 0));
    else mem.write32(at, value);
  };

  const top = ptMfn(0);
  // the L2 covering `lin`
  let l2For: (lin: number) => Mfn;
  if (layout.pae) {
    for (let i = 0; i < 4; i++) put(top, i, mfnToMa(ptMfn(1 + i)) | L3_PROT);
    hv.installInto(ptMfn(4));
    l2For = (lin) => ptMfn(1 + (lin >>> 30));
  } else {
    hv.installInto(top);
    l2For = () => top;
  }

  let nextL1 = count.top + count.l2;
  let l1: Mfn | undefined;
  for (let va = virtBase; va < mappedEnd; va += PAGE_SIZE) {
    if (l1 === undefined || va % layout.l1Span === 0) {
      l1 = ptMfn(nextL1++);
      put(l2For(va), l2Index(layout, va), mfnToMa(l1) | L2_PROT);
    }
    const pfn = (va - virtBase) / PAGE_SIZE;
    const isPt = pfn >= ptPfn && pfn < ptPfn + ptFrames;
    // page-table frames are mapped read-only (the guest changes them only through the hypervisor)
    put(l1, l1Index(layout, va), mfnToMa(p2m(pfn)) | (isPt ? L1_PROT & ~PTE_RW : L1_PROT));
  }
  if (nextL1 !== ptFrames) throw new Error(`used ${nextL1} page-table frames of ${ptFrames}`);
  return top;
}
