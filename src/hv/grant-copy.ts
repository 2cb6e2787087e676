// GNTTABOP_copy (Xen common/grant_table.c gnttab_copy, gnttab_copy_one, gnttab_copy_lock_domain,
// gnttab_copy_claim_buf, acquire_grant_for_copy, gnttab_copy_buf): copy bytes between two page
// areas, each named either by a frame of the caller's own (DOMID_SELF, u.gmfn — for a PV guest the
// machine frame) or by a grant reference into some domain's grant table (flag GNTCOPY_*_gref).
// Each op gets its own status (GNTST_*); the hypercall returns 0 unless the op array faults.
//   - a frame reference for a domain other than DOMID_SELF: GNTST_permission_denied
//   - a domain that does not exist: GNTST_bad_domain (only this domain exists here: there is
//     no second domain to copy to or from, so "between domains" is a grant of this domain's own)
//   - a frame the domain does not own: GNTST_bad_page; a destination that cannot take the writable
//     type (a page table, a descriptor page): GNTST_general_error
//   - a grant: ref beyond the table GNTST_bad_gntref; an entry that is not GTF_permit_access for the
//     caller, or a write through a GTF_readonly grant: GNTST_general_error; while copying, the entry
//     carries GTF_reading (and GTF_writing), cleared again afterwards
//   - offset + len beyond the page: GNTST_bad_copy_arg
// Long batches are preempted like other batches (continuation.ts).
import type { Domain } from "./domain.ts";
import { DOMID_SELF, GNTST, HYPERCALL, GNTTABOP, GNTTAB_COPY, GNTCOPY_source_gref, GNTCOPY_dest_gref, GTF_permit_access, GTF_type_mask, GTF_readonly, GTF_reading, GTF_writing } from "./abi.ts";
import { PGT } from "./page-info.ts";
import { createContinuation } from "./continuation.ts";
import type { Mfn } from "./addr.ts";
import { L } from "../core/layout.gen.ts";

const PAGE_SIZE = 4096;

interface Ptr { ref: number; domid: number; offset: number }
/** A claimed page area: its frame and how to let it go. */
interface Buf { mfn: number; release: () => void }

/** The v1 shared grant entry `ref` of this domain's table: its machine address, or null. */
function grantEntryMa(d: Domain, ref: number): number | null {
  const frames = d.grants.frames;
  if (ref >>> 0 >= frames.length * 512) return null;
  return frames[ref >>> 9] * 4096 + (ref & 511) * 8;
}

/** gnttab_copy_claim_buf: a frame reference or a grant; a GNTST status (< 0) on failure. */
function claim(d: Domain, p: Ptr, isGref: boolean, write: boolean): Buf | number {
  const pages = d.paging.pages;
  let mfn: number, release = () => {};
  if (isGref) {
    // acquire_grant_for_copy: ref within the table, granted to us, writable if we write.
    const ma = grantEntryMa(d, p.ref);
    if (ma === null) return GNTST.bad_gntref;
    const word = d.readMachineU32(ma);
    const flags = word & 0xffff, domid = word >>> 16;
    if ((flags & GTF_type_mask) !== GTF_permit_access || domid !== d.domid) return GNTST.general_error;
    if (write && (flags & GTF_readonly)) return GNTST.general_error;
    mfn = d.readMachineU32(ma + 4);
    if (!pages.getPage(mfn as Mfn, d.domid)) return GNTST.general_error;
    const busy = GTF_reading | (write ? GTF_writing : 0);
    d.writeMachineU32(ma, word | busy);
    release = () => { pages.putPage(mfn as Mfn); d.writeMachineU32(ma, d.readMachineU32(ma) & ~busy); };
  } else {
    // get_paged_frame: the caller's own frame.
    mfn = p.ref >>> 0;
    if (!pages.getPage(mfn as Mfn, d.domid)) return GNTST.bad_page;
    release = () => pages.putPage(mfn as Mfn);
  }
  if (write) {
    if (pages.getPageType(mfn as Mfn, PGT.writable) !== 0) { release(); return GNTST.general_error; }
    const r0 = release;
    release = () => { pages.putPageType(mfn as Mfn); r0(); };
  }
  return { mfn, release };
}

/** gnttab_copy_lock_domain: only DOMID_SELF may name a frame; the domain must exist. */
function lockDomain(d: Domain, domid: number, isGref: boolean): number {
  if (domid !== DOMID_SELF && !isGref) return GNTST.permission_denied;
  if (domid !== DOMID_SELF && domid !== d.domid) return GNTST.bad_domain;
  return GNTST.okay;
}

/** One copy: its GNTST status. */
function copyOne(d: Domain, src: Ptr, dst: Ptr, len: number, flags: number): number {
  const srcGref = (flags & GNTCOPY_source_gref) !== 0, dstGref = (flags & GNTCOPY_dest_gref) !== 0;
  let rc = lockDomain(d, src.domid, srcGref);
  if (rc === GNTST.okay) rc = lockDomain(d, dst.domid, dstGref);
  if (rc !== GNTST.okay) return rc;
  const s = claim(d, src, srcGref, false);
  if (typeof s === "number") return s;
  const t = claim(d, dst, dstGref, true);
  if (typeof t === "number") { s.release(); return t; }
  try {
    // gnttab_copy_buf: both areas within their page (full-page grants only: v1 has no sub-page).
    if (src.offset + len > PAGE_SIZE || dst.offset + len > PAGE_SIZE) return GNTST.bad_copy_arg;
    const from = L.RAM_BASE + s.mfn * PAGE_SIZE + src.offset;
    const bytes = d.machine.u8.slice(from, from + len);
    d.machine.writePhys(t.mfn * PAGE_SIZE + dst.offset, bytes);
    return GNTST.okay;
  } finally {
    t.release();
    s.release();
  }
}

/** GNTTABOP_copy(uop, count): statuses written per op; -EFAULT when the array is unusable. */
export function gnttabCopy(d: Domain, uop: number, count: number): number {
  const m = d.mem;
  m.checkRange(uop, count * GNTTAB_COPY.size, false); // guest_handle_okay → -EFAULT
  for (let i = 0; i < count; i++) {
    if (d.preempt.check(i)) return createContinuation(d, HYPERCALL.grant_table_op, [GNTTABOP.copy, (uop + i * GNTTAB_COPY.size) >>> 0, count - i]);
    const at = (uop + i * GNTTAB_COPY.size) >>> 0;
    const w = m.readU32s(at, 5);
    const ptr = (lo: number, hi: number): Ptr => ({ ref: lo, domid: hi & 0xffff, offset: hi >>> 16 });
    const status = copyOne(d, ptr(w[0], w[1]), ptr(w[2], w[3]), w[4] & 0xffff, w[4] >>> 16);
    m.writeU16(at + GNTTAB_COPY.status, status & 0xffff);
  }
  return 0;
}

