// HYPERVISOR_memory_op (Xen common/memory.c do_memory_op, common/compat/memory.c for a 32-bit
// guest): the balloon driver's interface to the domain's allocation (XEN-PV-ABI.md §4).
//
//   increase_reservation  allocate extents of 2^order machine frames; their mfns are written to
//                         extent_start[i] (a NULL list is allowed). The M2P entries stay invalid:
//                         the guest places the frames with MMU_MACHPHYS_UPDATE and its own P2M.
//   populate_physmap      read gpfn = extent_start[i], allocate, set m2p[mfn + j] = gpfn + j, write
//                         the mfn back over extent_start[i].
//   decrease_reservation  for each mfn in extent_start (2^order frames each), guest_remove_page: a
//                         pin is dropped, then the allocation reference; the frame goes back to the
//                         pool when its last reference goes — scrubbed, its M2P entry invalidated
//                         (free_heap_pages), reused by later allocations.
//   current_reservation / maximum_reservation   tot_pages / max_pages of the domain
//   maximum_ram_page      max_page: machine frames in the machine
//   maximum_gpfn          (shared_info arch.max_pfn ?: 1) - 1, as Xen for a PV guest
//
// The three reservation calls return the number of extents done; they stop at the first extent
// that cannot be done and never return an errno — a reservation that cannot be read, a list
// outside the guest's address space, an unknown or foreign domain, an order above the domU limit
// or bad mem_flags all return the start extent (0), as Xen does. The start extent is cmd >> 6:
// a long batch is preempted between extents (continuation.ts) and continues with
// cmd = op | (extents done << 6), as Xen's hypercall_create_continuation does.
//
// Not implemented, -ENOSYS: exchange, add_to_physmap(_batch), remove_from_physmap, machphys_mfn_list,
// machphys_mapping, the PoD, paging, sharing and access ops. memory_map is -ENOSYS as in Xen for a
// domain whose toolstack set no memory map (libxl's default for a PV domU).
import type { Domain, MachineMemory } from "./domain.ts";
import {
  DOMID_SELF, ERRNO, HYPERCALL, MEMOP_CMD_MASK, MEMOP_EXTENT_SHIFT, SHARED_INFO, XENMEM, XENMEMF, XEN_MEMORY_RESERVATION as R,
} from "./abi.ts";
import { GuestFault } from "./guest-memory.ts";
import { type Gpfn, type Mfn, mfn as asMfn } from "./addr.ts";
import { createContinuation } from "./continuation.ts";

/** CONFIG_DOMU_MAX_ORDER (x86): the largest extent order an unprivileged domain may ask for. */
export const DOMU_MAX_ORDER = 9;
/** MAX_ORDER of Xen's buddy allocator (x86: 2^20 frames); populate-on-demand's limit. */
const MAX_ORDER = 20;

interface Reservation {
  list: number;
  nrExtents: number;
  order: number;
  memFlags: number;
  domid: number;
  /** allocate only below this machine frame (MEMF_bits from the address bits) */
  limit: number;
}

/** Read a guest word, or null if the guest's pointer cannot be used. */
function tryRead(d: Domain, at: number): number | null {
  try { return d.mem.readU32(at >>> 0); } catch (e) { if (e instanceof GuestFault) return null; throw e; }
}
function tryWrite(d: Domain, at: number, v: number): boolean {
  try { d.mem.writeU32(at >>> 0, v); return true; } catch (e) { if (e instanceof GuestFault) return false; throw e; }
}

/** rcu_lock_domain_by_any_id + XSM_TARGET: a domU reaches only itself. */
const isSelf = (d: Domain, domid: number) => domid === DOMID_SELF || domid === d.domid;

/** get_order_from_pages(n): the smallest order with 2^order >= n. */
const orderFromPages = (n: number) => Math.ceil(Math.log2(Math.max(n, 1)));

/**
 * construct_memop_from_reservation: the address-bit limit and the node flags. Null when Xen
 * refuses them (address bits ≤ PAGE_SHIFT; a vNUMA node, since the domain has no vNUMA; an exact
 * node request, which propagate_node refuses to a domU).
 */
function allocLimit(mm: MachineMemory, memFlags: number): number | null {
  const bits = memFlags & 0xff;
  let limit = mm.frames.count;
  if (bits !== 0 && bits < orderFromPages(mm.frames.count) + 12) {
    if (bits <= 12) return null;
    limit = Math.min(limit, 2 ** (bits - 12));
  }
  const node = ((memFlags >>> 8) - 1) & 0xff; // XENMEMF_get_node: 0xff = NUMA_NO_NODE
  if (memFlags & XENMEMF.vnode) return null;
  if (node !== 0xff && (memFlags & XENMEMF.exact_node_request)) return null;
  return limit;
}

/** HYPERVISOR_memory_op(cmd, arg) */
export function memoryOp(d: Domain, cmd: number, arg: number): number {
  const op = cmd & MEMOP_CMD_MASK, start = cmd >>> MEMOP_EXTENT_SHIFT;
  const mm = d.machineMemory;
  if (!mm) return -ERRNO.ENOSYS; // a hand-built test domain has no allocator
  switch (op) {
    case XENMEM.increase_reservation:
    case XENMEM.decrease_reservation:
    case XENMEM.populate_physmap:
      return reservationOp(d, mm, op, start, arg);
    case XENMEM.maximum_ram_page:
      if (start) return -ERRNO.EINVAL;
      return mm.frames.count; // max_page
    case XENMEM.current_reservation:
    case XENMEM.maximum_reservation:
    case XENMEM.maximum_gpfn: {
      if (start) return -ERRNO.EINVAL;
      const domid = readDomid(d, arg); // GuestFault → -EFAULT
      if (!isSelf(d, domid)) return -ERRNO.ESRCH; // the only domain is this one
      if (op === XENMEM.current_reservation) return mm.frames.current(d.domid);
      if (op === XENMEM.maximum_reservation) return mm.frames.max(d.domid);
      return ((d.sharedU32(SHARED_INFO.arch_max_pfn) || 1) - 1) >>> 0;
    }
    default:
      return -ERRNO.ENOSYS;
  }
}

/** A domid_t (16 bits) at `at`. */
function readDomid(d: Domain, at: number): number {
  const b = d.mem.read(at >>> 0, 2);
  return b[0] | (b[1] << 8);
}

function reservationOp(d: Domain, mm: MachineMemory, op: number, start: number, arg: number): number {
  let w: number[];
  try { w = d.mem.readU32s(arg >>> 0, R.size / 4); } catch (e) { if (e instanceof GuestFault) return start; throw e; }
  const r: Reservation = {
    list: w[R.extent_start / 4], nrExtents: w[R.nr_extents / 4], order: w[R.extent_order / 4],
    memFlags: w[R.mem_flags / 4], domid: w[R.domid / 4] & 0xffff, limit: 0,
  };
  // Too many extents to encode a continuation; nothing left to do.
  if (r.nrExtents > (0xffffffff >>> MEMOP_EXTENT_SHIFT) || start >= r.nrExtents) return start;
  // compat_handle_okay: the list lies in the guest's part of the address space (not checked for
  // mapping here: each element is copied, and a fault stops the loop).
  if (r.list !== 0 && (r.list >= d.hvStart || r.nrExtents * 4 > d.hvStart - r.list)) return start;
  if (!isSelf(d, r.domid)) return start; // no such domain, or XSM refuses a foreign one
  const limit = allocLimit(mm, r.memFlags);
  if (limit === null) return start;
  r.limit = limit;
  const done = op === XENMEM.increase_reservation ? increaseReservation(d, mm, r, start)
    : op === XENMEM.decrease_reservation ? decreaseReservation(d, mm, r, start)
    : populatePhysmap(d, mm, r, start);
  if (done.preempted) return createContinuation(d, HYPERCALL.memory_op, [op | (done.i << MEMOP_EXTENT_SHIFT), arg]);
  return done.i;
}

/** How far a reservation loop got, and whether it stopped to be continued. */
interface Done { i: number; preempted: boolean }
/** hypercall_preempt_check before extent `i` (never the call's first). */
const preempted = (d: Domain, i: number, start: number) => d.preempt.check(i - start);

/** alloc_domheap_pages + assign_pages: a new extent owned by the domain, or undefined. */
function allocExtent(d: Domain, mm: MachineMemory, r: Reservation): Mfn | undefined {
  const base = mm.frames.allocExtent(d.domid, r.order, r.limit);
  if (base === undefined) return undefined;
  for (let j = 0; j < 2 ** r.order; j++) {
    const f = asMfn(base + j);
    mm.pageInfo.assign(f);
    d.adoptFrame(f);
  }
  d.stats.balloonIn += 2 ** r.order;
  return base;
}

function increaseReservation(d: Domain, mm: MachineMemory, r: Reservation, start: number): Done {
  if (r.order > DOMU_MAX_ORDER) return { i: start, preempted: false };
  let i = start;
  for (; i < r.nrExtents; i++) {
    if (preempted(d, i, start)) return { i, preempted: true };
    const base = allocExtent(d, mm, r);
    if (base === undefined) break; // "Could not allocate order=%d extent"
    // Inform the domain of the new extent's machine frame (the extent stays allocated if this faults).
    if (r.list !== 0 && !tryWrite(d, r.list + i * 4, base)) break;
  }
  return { i, preempted: false };
}

function populatePhysmap(d: Domain, mm: MachineMemory, r: Reservation, start: number): Done {
  const pod = (r.memFlags & XENMEMF.populate_on_demand) !== 0;
  if (r.order > (pod ? MAX_ORDER : DOMU_MAX_ORDER)) return { i: start, preempted: false };
  let i = start;
  for (; i < r.nrExtents; i++) {
    if (preempted(d, i, start)) return { i, preempted: true };
    const gpfn = tryRead(d, r.list + i * 4);
    if (gpfn === null) break;
    if (pod) break; // "Disallow populating PoD pages on oneself"
    const base = allocExtent(d, mm, r);
    if (base === undefined) break;
    for (let j = 0; j < 2 ** r.order; j++) mm.m2p.set(asMfn(base + j), ((gpfn + j) >>> 0) as Gpfn);
    if (!tryWrite(d, r.list + i * 4, base)) break;
  }
  return { i, preempted: false };
}

function decreaseReservation(d: Domain, mm: MachineMemory, r: Reservation, start: number): Done {
  if (r.order > DOMU_MAX_ORDER) return { i: start, preempted: false };
  let i = start;
  outer: for (; i < r.nrExtents; i++) {
    if (preempted(d, i, start)) return { i, preempted: true };
    const gmfn = tryRead(d, r.list + i * 4);
    if (gmfn === null) break;
    for (let j = 0; j < 2 ** r.order; j++) if (guestRemovePage(d, mm, (gmfn + j) >>> 0) !== 0) break outer;
  }
  return { i, preempted: false };
}

/**
 * guest_remove_page for a PV domain (gmfn = mfn): -EINVAL for a frame outside RAM, -ENXIO for
 * one the domain does not own (or that has no references). Otherwise a pin is dropped
 * (put_page_and_type), then the allocation reference; the frame is freed when nothing else holds
 * it (page tables still mapping it keep it until they let go).
 */
function guestRemovePage(d: Domain, mm: MachineMemory, gmfn: number): number {
  if (gmfn >= mm.frames.count) return -ERRNO.EINVAL; // !mfn_valid
  const f = asMfn(gmfn), pi = mm.pageInfo;
  if (!pi.getPage(f, d.domid)) return -ERRNO.ENXIO; // "Bad page free"
  if (pi.isAllocated(f)) d.stats.balloonOut++;
  pi.release(f, d.domid);
  pi.putPage(f);
  return 0;
}
