// HYPERVISOR_mmuext_op(ops, count, pdone, foreigndom) (Xen do_mmuext_op; for a 32-bit PAE guest
// through compat_mmuext_op): a batch of {cmd, arg1, arg2} (12 bytes on x86_32), stopping at the
// first failure, *pdone = how many were done.
//
//   PIN_L1/L2/L3_TABLE  take a type reference and a general one on arg1 (validating it) and mark
//                       it pinned: -EINVAL not the domain's / already pinned, else the
//                       validation's errno. Levels the layout does not have are ignored with
//                       success, as Xen does ("Ignore pinning of invalid paging levels"): L4
//                       always, L3 in the classic 2-level layout.
//   UNPIN_TABLE         -EINVAL not the domain's or not pinned
//   NEW_BASEPTR         new-baseptr.ts
//   TLB_FLUSH_LOCAL/ALL, INVLPG_LOCAL/ALL, TLB_FLUSH_MULTI/INVLPG_MULTI (vCPU bitmap in arg2; a
//                       bitmap that faults is -EINVAL)
//   FLUSH_CACHE         -EACCES (a domU has no cache-flush right); FLUSH_CACHE_GLOBAL -EINVAL
//   CLEAR_PAGE          zero arg1, which must take a writable type; COPY_PAGE arg2 → arg1 (the
//                       source only the domain's): -EINVAL otherwise
//   NEW_USER_BASEPTR    64-bit only: -EINVAL from compat (PAE), unknown (-ENOSYS) in classic
//   MARK/UNMARK_SUPER   -EOPNOTSUPP
//   SET_LDT             ../ldt.ts
// Commands that act on frames need the caller to be the page owner (foreigndom DOMID_SELF).
import type { Domain } from "../domain.ts";
import { createContinuation, ERESTART } from "../continuation.ts";
import { setLdt } from "../ldt.ts";
import { ERRNO, HYPERCALL, MMUEXT, MMUEXT_OP } from "../abi.ts";
import { type Mfn, hex } from "../addr.ts";
import { GuestFault } from "../guest-memory.ts";
import { PGT, type PageType } from "../page-info.ts";
import { L } from "../../core/layout.gen.ts";
import { checkPgOwner } from "./pg-owner.ts";
import { newBaseptr } from "./new-baseptr.ts";
import { vcpuMaskHasSelf } from "./flush.ts";
import { MMU_UPDATE_PREEMPTED } from "./mmu-update.ts";

export const MMUEXT_FLUSH_CACHE_GLOBAL = 18, MMUEXT_MARK_SUPER = 19, MMUEXT_UNMARK_SUPER = 20;

/** The domain's frame with a general reference, or null (get_page_from_gfn for a PV guest). */
function getOwnPage(d: Domain, f: number): Mfn | null {
  f >>>= 0;
  const pages = d.paging.pages;
  return f < pages.frameCount && pages.getPage(f as Mfn, d.domid) ? f as Mfn : null;
}

function pin(d: Domain, f: number, type: PageType): number {
  const pages = d.paging.pages;
  const page = getOwnPage(d, f);
  if (page === null) return -ERRNO.EINVAL;
  const rc = pages.getPageType(page, type);
  if (rc) {
    d.logHv(`Error ${rc} while pinning mfn ${hex(f)}`);
    pages.putPage(page);
    return rc;
  }
  if (pages.isPinned(page)) {
    d.logHv(`mfn ${hex(f)} already pinned`);
    pages.putPageAndType(page);
    return -ERRNO.EINVAL;
  }
  pages.markPinned(page);
  return 0;
}

function unpin(d: Domain, f: number): number {
  const page = getOwnPage(d, f);
  if (page === null) {
    d.logHv(`mfn ${hex(f)} bad, or bad owner d${d.domid}`);
    return -ERRNO.EINVAL;
  }
  const pages = d.paging.pages;
  if (!pages.isPinned(page)) {
    pages.putPage(page);
    d.logHv(`mfn ${hex(f)} not pinned`);
    return -ERRNO.EINVAL;
  }
  pages.unpin(page, d.domid);
  pages.putPage(page);
  return 0;
}

/** MMUEXT_CLEAR_PAGE */
function clearPage(d: Domain, f: number): number {
  const pages = d.paging.pages;
  const page = getOwnPage(d, f);
  if (page === null || pages.getPageType(page, PGT.writable) !== 0) {
    if (page !== null) pages.putPage(page);
    d.logHv(`Error clearing mfn ${hex(f)}`);
    return -ERRNO.EINVAL;
  }
  d.machine.writePhys(page * 4096, new Uint8Array(4096));
  pages.putPageAndType(page);
  return 0;
}

/** MMUEXT_COPY_PAGE: arg1 = destination, arg2 = source */
function copyPage(d: Domain, dst: number, src: number): number {
  const pages = d.paging.pages;
  const s = getOwnPage(d, src);
  if (s === null) {
    d.logHv(`Error copying from mfn ${hex(src)}`);
    return -ERRNO.EINVAL;
  }
  const t = getOwnPage(d, dst);
  if (t === null || pages.getPageType(t, PGT.writable) !== 0) {
    pages.putPage(s);
    if (t !== null) pages.putPage(t);
    d.logHv(`Error copying to mfn ${hex(dst)}`);
    return -ERRNO.EINVAL;
  }
  const bytes = d.machine.u8.slice(L.RAM_BASE + s * 4096, L.RAM_BASE + s * 4096 + 4096);
  d.machine.writePhys(t * 4096, bytes);
  pages.putPageAndType(t);
  pages.putPage(s);
  return 0;
}

/** One operation: 0 or -errno. */
function op(d: Domain, cmd: number, arg1: number, arg2: number): number {
  switch (cmd) {
    case MMUEXT.PIN_L1_TABLE: return pin(d, arg1, PGT.l1);
    case MMUEXT.PIN_L2_TABLE: return pin(d, arg1, PGT.l2);
    case MMUEXT.PIN_L3_TABLE: return d.layout === "pae" ? pin(d, arg1, PGT.l3) : 0;
    case MMUEXT.PIN_L4_TABLE: return 0;
    case MMUEXT.UNPIN_TABLE: return unpin(d, arg1);
    case MMUEXT.NEW_BASEPTR: return newBaseptr(d, arg1);
    case MMUEXT.TLB_FLUSH_LOCAL: case MMUEXT.TLB_FLUSH_ALL: d.flushTlb(); return 0;
    case MMUEXT.INVLPG_LOCAL: case MMUEXT.INVLPG_ALL: d.invlpg(arg1); return 0;
    case MMUEXT.TLB_FLUSH_MULTI: case MMUEXT.INVLPG_MULTI: {
      let self: boolean;
      try { self = vcpuMaskHasSelf(d, arg2); } catch (e) {
        if (e instanceof GuestFault) return -ERRNO.EINVAL;
        throw e;
      }
      if (self) {
        if (cmd === MMUEXT.TLB_FLUSH_MULTI) d.flushTlb();
        else d.invlpg(arg1);
      }
      return 0;
    }
    case MMUEXT.FLUSH_CACHE: return -ERRNO.EACCES; // cache_flush_permitted: no I/O rights
    case MMUEXT_FLUSH_CACHE_GLOBAL: return -ERRNO.EINVAL;
    case MMUEXT.CLEAR_PAGE: return clearPage(d, arg1);
    case MMUEXT.COPY_PAGE: return copyPage(d, arg1, arg2);
    case MMUEXT.NEW_USER_BASEPTR: return d.layout === "pae" ? -ERRNO.EINVAL : -ERRNO.ENOSYS;
    case MMUEXT_MARK_SUPER: case MMUEXT_UNMARK_SUPER: return -ERRNO.EOPNOTSUPP;
    case MMUEXT.SET_LDT: return setLdt(d, arg1, arg2); // ../ldt.ts
    default: return -ERRNO.ENOSYS;
  }
}

export function mmuextOp(d: Domain, ops: number, count: number, pdone: number, foreigndom: number): number {
  return d.paging.stats.fail(doMmuextOp(d, ops >>> 0, count >>> 0, pdone >>> 0, foreigndom >>> 0));
}

function doMmuextOp(d: Domain, ops: number, count: number, pdone: number, foreigndom: number): number {
  let done = 0;
  if (count & MMU_UPDATE_PREEMPTED) {
    count &= ~MMU_UPDATE_PREEMPTED;
    if (pdone) try { done = d.mem.readU32(pdone); } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  }
  try { d.mem.checkRange(ops, count * MMUEXT_OP.size, false); } catch (e) {
    if (e instanceof GuestFault) return -ERRNO.EFAULT;
    throw e;
  }
  const owner = checkPgOwner(d, foreigndom, "mmuext_op");
  if (owner) return owner === -ERRNO.ENOSYS ? -ERRNO.EINVAL : owner; // DOMID_IO: not a PV domain
  let rc = 0, i = 0;
  for (; i < count; i++) {
    if (d.preempt.check(i)) { rc = -ERESTART; break; } // continuation.ts
    let w: number[];
    try { w = d.mem.readU32s((ops + i * MMUEXT_OP.size) >>> 0, 3); } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      rc = -ERRNO.EFAULT;
      break;
    }
    rc = op(d, w[0], w[1], w[2]);
    if (rc) break;
  }
  if (rc === -ERESTART) {
    rc = createContinuation(d, HYPERCALL.mmuext_op, [(ops + i * MMUEXT_OP.size) >>> 0, (count - i) | MMU_UPDATE_PREEMPTED, pdone, foreigndom]);
  }
  if (pdone) {
    try { d.mem.writeU32(pdone, done + i); } catch (e) { if (!(e instanceof GuestFault)) throw e; }
  }
  return rc;
}
