// Page-table entries as the hypervisor reads and checks them, in both layouts (Xen
// asm-x86/page.h, x86_32 and compat): an entry is a (lo, hi) pair of 32-bit words, hi = 0 in the
// classic 2-level layout. Xen's "flags" of an entry are its low 12 bits plus, for 8-byte entries,
// bits 52-63 as flag bits 12-23 (get_pte_flags); the frame number is bits 12-51.
//
// Bits a guest may set (Xen's base_disallow_mask with NX; XEN-PV-ABI.md §4):
//   L1   P RW U A D G AVAIL NX                  disallowed: PWT PCD PAT (no cache attributes for
//                                               a domU without I/O rights: l1_disallow_mask)
//   L2   P RW U A D AVAIL NX                    disallowed: PWT PCD PSE (no PV superpages) G
//   L3   P RW U A D AVAIL (PAE, 32-bit guest)   disallowed: COMPAT_L3_DISALLOW_MASK 0xFFFFF198,
//                                               i.e. PWT PCD PSE G and bits 52-63 (NX too)
// Deviation: Xen (64-bit, running the guest on 4-level tables) lets L1/L2 entries use bits 52-62
// (AVAIL_HIGH). xenolith's core walks real 32-bit PAE tables, where those bits are reserved
// (MAXPHYADDR 32: a #PF with RSVD), so they are refused like any other disallowed flag.
import type { Mfn } from "../addr.ts";

export const _PAGE_PRESENT = 0x001, _PAGE_RW = 0x002, _PAGE_USER = 0x004, _PAGE_PWT = 0x008,
  _PAGE_PCD = 0x010, _PAGE_ACCESSED = 0x020, _PAGE_DIRTY = 0x040, _PAGE_PSE = 0x080, _PAGE_PAT = 0x080,
  _PAGE_GLOBAL = 0x100, _PAGE_AVAIL = 0xe00;
/** bit 63 as a bit of the high word */
export const HI_NX = 0x80000000;
/** bits 52-62 (AVAIL_HIGH) in the high word */
export const HI_AVAIL = 0x7ff00000;
/** bits 32-51: frame-number bits in the high word */
export const HI_ADDR = 0x000fffff;

/** Disallowed low flag bits per level. */
export const L1_DISALLOW_LO = _PAGE_PWT | _PAGE_PCD | _PAGE_PAT;
export const L2_DISALLOW_LO = _PAGE_PWT | _PAGE_PCD | _PAGE_PSE | _PAGE_GLOBAL;
export const L3_DISALLOW_LO = 0x198;
/** Disallowed high-word bits (PAE) per level. */
export const L1_DISALLOW_HI = HI_AVAIL;
export const L2_DISALLOW_HI = HI_AVAIL;
export const L3_DISALLOW_HI = HI_AVAIL | HI_NX;

/**
 * Flags an update may change without revalidation (Xen FASTPATH_FLAG_WHITELIST: NX, AVAIL_HIGH,
 * AVAIL, G, D, A, U): the "has changed" test looks at the frame number and the other flags
 * (P, RW, PWT, PCD, PSE/PAT).
 */
const FASTPATH_LO = _PAGE_AVAIL | _PAGE_GLOBAL | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_USER;

/** The frame an entry maps (bits 12-51). */
export function entryMfn(lo: number, hi: number): Mfn {
  return ((hi & HI_ADDR) * 0x100000 + (lo >>> 12)) as Mfn;
}

/** l?e_has_changed(old, new, ~FASTPATH_FLAG_WHITELIST): must the update be revalidated? */
export function needsRevalidation(olo: number, ohi: number, nlo: number, nhi: number): boolean {
  return (((olo ^ nlo) & ~FASTPATH_LO) !== 0) || (((ohi ^ nhi) & HI_ADDR) !== 0);
}

/** Entry geometry of a layout. */
export interface PteFormat {
  pae: boolean;
  /** bytes per entry */
  bytes: 4 | 8;
  /** entries per L1/L2 page */
  entries: 512 | 1024;
}
export const PAE_PTE: PteFormat = { pae: true, bytes: 8, entries: 512 };
export const CLASSIC_PTE: PteFormat = { pae: false, bytes: 4, entries: 1024 };
