// HYPERVISOR_update_va_mapping(va, pte_lo, pte_hi, flags) (Xen __do_update_va_mapping): change
// the L1 entry that maps `va` in the current address space, through mod_l1_entry with all its
// checks, then flush as `flags` say (UVMF_NONE, UVMF_TLB_FLUSH, UVMF_INVLPG; for UVMF_LOCAL, for
// UVMF_ALL, or for the vCPUs of a bitmap at flags & ~3). As in Xen the flush happens even when
// the update failed, and a bitmap read replaces the result: 0, or -EFAULT if it faults.
import type { Domain } from "../domain.ts";
import { ERRNO, UVMF_ALL, UVMF_FLUSHTYPE_MASK, UVMF_INVLPG, UVMF_TLB_FLUSH } from "../abi.ts";
import { type Mfn } from "../addr.ts";
import { GuestFault } from "../guest-memory.ts";
import { PGT } from "../page-info.ts";
import { L as LAYOUT } from "../../core/layout.gen.ts";
import { modL1Entry } from "./mod-entry.ts";
import { vcpuMaskHasSelf } from "./flush.ts";

const P = 1, PS = 0x80;

/**
 * map_guest_l1e: the L1 table and index mapping `va` in the current address space, found through
 * the guest's L2 entry (present, not a superpage), or null.
 */
export function mapGuestL1e(d: Domain, va: number): { l1: Mfn; index: number } | null {
  va >>>= 0;
  if (va >= d.hvStart) return null;
  const cr3 = d.machine.field(LAYOUT.S_CR3);
  let l2e: number;
  if (d.layout === "pae") {
    const l3 = d.readMachineU32(((cr3 & ~0x1f) >>> 0) + (va >>> 30) * 8);
    if (!(l3 & P)) return null;
    l2e = d.readMachineU32(((l3 & ~0xfff) >>> 0) + ((va >>> 21) & 511) * 8);
  } else {
    l2e = d.readMachineU32(((cr3 & ~0xfff) >>> 0) + (va >>> 22) * 4);
  }
  if ((l2e & (P | PS)) !== P) return null;
  const l1 = (l2e >>> 12) as Mfn;
  return { l1, index: d.layout === "pae" ? (va >>> 12) & 511 : (va >>> 12) & 1023 };
}

/** Machine address of the L1 entry mapping `va`, or null (for tests and tools). */
export function l1EntryMa(d: Domain, va: number): number | null {
  const at = mapGuestL1e(d, va);
  return at ? at.l1 * 4096 + at.index * (d.layout === "pae" ? 8 : 4) : null;
}

/** page_lock: a frame whose type is validated and referenced (its entries are in force). */
export function isLockable(d: Domain, f: Mfn): boolean {
  const pages = d.paging.pages;
  return pages.isValidated(f) && pages.typeCountOf(f) > 0;
}

export function updateVaMapping(d: Domain, va: number, lo: number, hi: number, flags: number): number {
  if (d.layout === "classic") hi = 0; // a 2-level entry is the low word
  let rc = -ERRNO.EINVAL;
  const at = mapGuestL1e(d, va);
  const pages = d.paging.pages;
  if (at && at.l1 < pages.frameCount && pages.getPage(at.l1, d.domid)) {
    if (isLockable(d, at.l1) && pages.typeOf(at.l1) === PGT.l1) {
      rc = modL1Entry(d.paging, at.l1, at.index, lo, hi, false, d.domid);
    }
    pages.putPage(at.l1);
  }
  const how = flags & UVMF_FLUSHTYPE_MASK, bitmap = (flags & ~UVMF_FLUSHTYPE_MASK) >>> 0;
  if (how === UVMF_TLB_FLUSH || how === UVMF_INVLPG) {
    let self = true;
    if (bitmap !== 0 && bitmap !== UVMF_ALL) {
      try {
        self = vcpuMaskHasSelf(d, bitmap);
        rc = 0;
      } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
        self = false;
        rc = -ERRNO.EFAULT;
      }
    }
    if (self) {
      if (how === UVMF_TLB_FLUSH) d.flushTlb();
      else d.invlpg(va);
    }
  }
  return d.paging.stats.fail(rc);
}
