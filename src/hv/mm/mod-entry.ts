// Changing one entry of a validated page table (Xen mod_l1_entry / mod_l2_entry / mod_l3_entry),
// the single path for mmu_update, update_va_mapping and writable page tables:
//
//   new entry not present     written; the old entry's references dropped
//   only "fast-path" bits     (A, D, U, G, AVAIL, NX: l?e_has_changed with the whitelist) the
//     differ from the old    entry is rewritten with no new references (UPDATE_ENTRY)
//   otherwise                 the new entry's references are taken first (get_page_from_l?e,
//                             which may fail with nothing changed), then it is written and the
//                             old entry's references dropped
// PRESERVE_AD keeps the A and D bits the old entry has. Nothing is flushed here: the guest asks
// for the flushes it needs, except that a type change flushes (page-info.ts).
import { ERRNO } from "../abi.ts";
import { type Mfn, hex } from "../addr.ts";
import type { DirectPaging } from "./validate.ts";
import {
  _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, _PAGE_ACCESSED, _PAGE_DIRTY, needsRevalidation,
  L1_DISALLOW_LO, L1_DISALLOW_HI, L2_DISALLOW_LO, L2_DISALLOW_HI, L3_DISALLOW_LO, L3_DISALLOW_HI,
} from "./pte.ts";

/** UPDATE_ENTRY: write the entry, keeping the old A/D bits under PRESERVE_AD. */
function updateEntry(p: DirectPaging, table: Mfn, i: number, olo: number, lo: number, hi: number, preserveAd: boolean): void {
  if (preserveAd) lo |= olo & (_PAGE_ACCESSED | _PAGE_DIRTY);
  p.writeEntry(table, i, lo, hi);
}

/** mod_l1_entry: entry `i` of L1 `l1` := (lo, hi). 0 or -errno; nothing changes on failure. */
export function modL1Entry(p: DirectPaging, l1: Mfn, i: number, lo: number, hi: number, preserveAd: boolean, domid: number): number {
  const [olo, ohi] = p.readEntry(l1, i);
  if (lo & _PAGE_PRESENT) {
    if ((lo & L1_DISALLOW_LO) || (hi & L1_DISALLOW_HI)) {
      p.log(`Bad L1 flags ${hex((lo & L1_DISALLOW_LO) | (hi & L1_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    if ((olo & _PAGE_PRESENT) && !needsRevalidation(olo, ohi, lo, hi)) {
      updateEntry(p, l1, i, olo, lo, hi, preserveAd);
      p.stats.entriesFastPath++;
      return 0;
    }
    const rc = p.getL1e(lo, hi, domid);
    if (rc) return rc;
    p.stats.entriesValidated++;
  }
  updateEntry(p, l1, i, olo, lo, hi, preserveAd);
  p.putL1e(olo, ohi);
  return 0;
}

/** mod_l2_entry: -EPERM in Xen's slots, else as mod_l1_entry with L2 rules. */
export function modL2Entry(p: DirectPaging, l2: Mfn, i: number, lo: number, hi: number, preserveAd: boolean, domid: number): number {
  if (!p.isGuestL2Slot(p.pages.typeInfo(l2), i)) {
    p.log(`L2 update in Xen-private area, slot ${hex(i)}`);
    return -ERRNO.EPERM;
  }
  const [olo, ohi] = p.readEntry(l2, i);
  if (lo & _PAGE_PRESENT) {
    if ((lo & L2_DISALLOW_LO) || (hi & L2_DISALLOW_HI)) {
      p.log(`Bad L2 flags ${hex((lo & L2_DISALLOW_LO) | (hi & L2_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    if ((olo & _PAGE_PRESENT) && !needsRevalidation(olo, ohi, lo, hi)) {
      updateEntry(p, l2, i, olo, lo, hi, preserveAd);
      p.stats.entriesFastPath++;
      return 0;
    }
    const rc = p.getL2e(lo, hi, l2, domid);
    if (rc) return rc;
    p.stats.entriesValidated++;
  }
  updateEntry(p, l2, i, olo, lo, hi, preserveAd);
  p.putL2e(olo, ohi, l2);
  return 0;
}

/** mod_l3_entry (PAE): slot 3 (Xen's mappings) and beyond -EINVAL; present entries get RW|U. */
export function modL3Entry(p: DirectPaging, l3: Mfn, i: number, lo: number, hi: number, preserveAd: boolean, domid: number): number {
  // "Disallow updates to final L3 slot. It contains Xen mappings."
  if (i >= 3) return -ERRNO.EINVAL;
  const [olo, ohi] = p.readEntry(l3, i);
  if (lo & _PAGE_PRESENT) {
    if ((lo & L3_DISALLOW_LO) || (hi & L3_DISALLOW_HI)) {
      p.log(`Bad L3 flags ${hex((lo & L3_DISALLOW_LO) | (hi & L3_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    if ((olo & _PAGE_PRESENT) && !needsRevalidation(olo, ohi, lo, hi)) {
      updateEntry(p, l3, i, olo, lo | _PAGE_RW | _PAGE_USER, hi, preserveAd); // adjust_guest_l3e
      p.stats.entriesFastPath++;
      return 0;
    }
    const rc = p.getL3e(lo, hi, domid);
    if (rc) return rc;
    p.stats.entriesValidated++;
    lo |= _PAGE_RW | _PAGE_USER; // adjust_guest_l3e
  }
  updateEntry(p, l3, i, olo, lo, hi, preserveAd);
  p.putL3e(olo, ohi, l3);
  return 0;
}
