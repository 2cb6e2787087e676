// HYPERVISOR_mmu_update(reqs, count, pdone, foreigndom) (Xen do_mmu_update): a batch of
// {u64 ptr, u64 val} requests, the command in the low bits of ptr (ptr & (entry size - 1)):
//
//   MMU_NORMAL_PT_UPDATE, MMU_PT_UPDATE_PRESERVE_AD, MMU_PT_UPDATE_NO_TRANSLATE (= NORMAL for a
//   PV guest): *ptr = val, ptr a machine address in a frame the domain owns. In a validated page
//   table the entry goes through mod_l?_entry (mod-entry.ts); in any other frame it is a plain
//   write if the frame can take a writable type (not a page table or descriptor page in use),
//   else -EINVAL.
//   MMU_MACHPHYS_UPDATE: m2p[ptr >> 12] = val for a frame the domain owns, else -EINVAL.
//   other commands: -ENOSYS.
// The batch stops at the first failure; the requests before it stay done and *pdone (if not
// NULL) receives how many were. count with MMU_UPDATE_PREEMPTED (bit 31) continues a batch:
// pdone's value is added to. foreigndom: bits 0-15 the page owner (get_pg_owner), bits 16-31
// the page-table owner + 1 (0: the caller).
import type { Domain } from "../domain.ts";
import { createContinuation, ERESTART } from "../continuation.ts";
import { ERRNO, HYPERCALL, MMU_MACHPHYS_UPDATE, MMU_NORMAL_PT_UPDATE, MMU_PT_UPDATE_PRESERVE_AD, MMU_UPDATE } from "../abi.ts";
import { type Gpfn, type Mfn, hex } from "../addr.ts";
import { GuestFault } from "../guest-memory.ts";
import { PGT } from "../page-info.ts";
import { modL1Entry, modL2Entry, modL3Entry } from "./mod-entry.ts";
import { checkPgOwner } from "./pg-owner.ts";
import { isLockable } from "./update-va-mapping.ts";

export const MMU_PT_UPDATE_NO_TRANSLATE = 3;
export const MMU_UPDATE_PREEMPTED = 0x80000000;

/** One NORMAL / PRESERVE_AD request: 0 or -errno. */
function normalUpdate(d: Domain, ptrLo: number, ptrHi: number, lo: number, hi: number, preserveAd: boolean): number {
  const p = d.paging, pages = p.pages;
  const f = ptrHi * 0x100000 + (ptrLo >>> 12);
  // get_page_from_gfn(pt_owner): the domain's own frame, else "Could not get page for normal update"
  if (ptrHi !== 0 || f >= pages.frameCount || !pages.getPage(f as Mfn, d.domid)) {
    d.logHv(`mmu_update: could not get page ${hex(f)} for normal update`);
    return -ERRNO.EINVAL;
  }
  const table = f as Mfn;
  const i = (ptrLo & 0xfff) / p.fmt.bytes;
  let rc = -ERRNO.EINVAL;
  if (isLockable(d, table)) {
    switch (pages.typeOf(table)) {
      case PGT.l1: rc = modL1Entry(p, table, i, lo, hi, preserveAd, d.domid); break;
      case PGT.l2: rc = modL2Entry(p, table, i, lo, hi, preserveAd, d.domid); break;
      case PGT.l3: rc = d.layout === "pae" ? modL3Entry(p, table, i, lo, hi, preserveAd, d.domid) : rc; break;
      case PGT.writable: p.writeEntry(table, i, lo, hi); p.stats.writableUpdates++; rc = 0; break;
      // a descriptor page in use: -EINVAL
    }
  } else if (pages.getPageType(table, PGT.writable) === 0) {
    p.writeEntry(table, i, lo, hi);
    p.stats.writableUpdates++;
    pages.putPageType(table);
    rc = 0;
  }
  pages.putPage(table);
  return rc;
}

/** One MACHPHYS request: 0 or -errno. */
function machphysUpdate(d: Domain, ptrLo: number, ptrHi: number, gpfn: number): number {
  const pages = d.paging.pages;
  const f = ptrHi * 0x100000 + (ptrLo >>> 12);
  if (ptrHi !== 0 || f >= pages.frameCount || !pages.getPage(f as Mfn, d.domid)) {
    d.logHv(`mmu_update: could not get page ${hex(f)} for mach->phys update`);
    return -ERRNO.EINVAL;
  }
  if (!d.m2p) {
    pages.putPage(f as Mfn);
    d.logHv("mmu_update: MMU_MACHPHYS_UPDATE without an M2P table (hand-built domain): -ENOSYS");
    return -ERRNO.ENOSYS;
  }
  d.m2p.set(f as Mfn, gpfn as Gpfn);
  d.paging.stats.machphysUpdates++;
  pages.putPage(f as Mfn);
  return 0;
}

export function mmuUpdate(d: Domain, reqs: number, count: number, pdone: number, foreigndom: number): number {
  return d.paging.stats.fail(doMmuUpdate(d, reqs >>> 0, count >>> 0, pdone >>> 0, foreigndom >>> 0));
}

function doMmuUpdate(d: Domain, reqs: number, count: number, pdone: number, foreigndom: number): number {
  let done = 0;
  if (count & MMU_UPDATE_PREEMPTED) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone) try { done = d.mem.readU32(pdone); } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  }
  // guest_handle_okay: the whole array below the hypervisor area
  try { d.mem.checkRange(reqs, count * MMU_UPDATE.size, false); } catch (e) {
    if (e instanceof GuestFault) return -ERRNO.EFAULT;
    throw e;
  }
  const ptDom = foreigndom >>> 16;
  if (ptDom !== 0 && ptDom - 1 !== d.domid) return -ERRNO.ESRCH;
  const owner = checkPgOwner(d, foreigndom, "mmu_update");
  if (owner) {
    // get_pg_owner failed: "goto out", where *pdone is written
    if (pdone) try { d.mem.writeU32(pdone, done); } catch (e) { if (!(e instanceof GuestFault)) throw e; }
    return owner;
  }
  const cmdMask = d.paging.fmt.bytes - 1;
  let rc = 0, i = 0;
  for (; i < count; i++) {
    if (d.preempt.check(i)) { rc = -ERESTART; break; } // continuation.ts
    let w: number[];
    try { w = d.mem.readU32s((reqs + i * MMU_UPDATE.size) >>> 0, 4); } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      rc = -ERRNO.EFAULT;
      break;
    }
    const [ptrLo, ptrHi, valLo, valHi] = w;
    const cmd = ptrLo & cmdMask;
    switch (cmd) {
      case MMU_NORMAL_PT_UPDATE: case MMU_PT_UPDATE_PRESERVE_AD: case MMU_PT_UPDATE_NO_TRANSLATE:
        rc = normalUpdate(d, ptrLo - cmd, ptrHi, valLo, d.layout === "pae" ? valHi : 0, cmd === MMU_PT_UPDATE_PRESERVE_AD);
        break;
      case MMU_MACHPHYS_UPDATE: rc = machphysUpdate(d, ptrLo, ptrHi, valLo); break;
      default: rc = -ERRNO.ENOSYS; break;
    }
    if (rc) break;
  }
  if (rc === -ERESTART) {
    rc = createContinuation(d, HYPERCALL.mmu_update, [(reqs + i * MMU_UPDATE.size) >>> 0, (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom]);
  }
  if (pdone) {
    try { d.mem.writeU32(pdone, done + i); } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  }
  return rc;
}
