// page_info: what the hypervisor knows about every machine frame (Xen: struct page_info,
// arch/x86/mm.c), the ground direct paging stands on (XEN-PV-ABI.md §4, issue 5 item 1).
//
// Per frame: an owner (frames.ts), a general reference count, a type with its own type count
// and a validated flag, and a pin. Two kinds of reference, as in Xen:
//
//   general count  "something may touch this frame": the allocation itself (PGC_allocated), every
//                  page-table entry that maps it, a pin, the hypervisor while it works on it.
//                  The frame returns to the free pool when the count reaches 0 after the
//                  allocation reference was dropped (free), never before.
//   type count     "something relies on this frame being of this type": an L2 entry referencing
//                  an L1 holds an L1 type reference on it, a writable mapping holds a writable one,
//                  a pin holds one, CR3 holds one on the top table. Every type reference also
//                  holds a general one (get_page_and_type).
//
// Type state machine of one frame (T = the type, n = type count, v = validated):
//
//                       get_page_type(T), n == 0:
//                       type := T, validate(T) ──── fails ───▶ type := none, n = 0 (the validator
//                               │                               has undone what it took)
//                               ▼ succeeds
//     ┌───────────┐        ┌──────────────┐  get_page_type(T): n++
//     │ none,     │        │ T, n ≥ 1, v  │◀──────────────────────┐
//     │ n = 0     │        └──────────────┘───────────────────────┘
//     └───────────┘           │ put_page_type: n-- ; at n == 0:
//           ▲                 ▼ devalidate(T) for page tables (drop what validation took)
//           │          ┌──────────────┐   get_page_type(T) again: revalidate (v was cleared)
//           └──────────│ T, n = 0, !v │   get_page_type(U ≠ T): allowed only here (n == 0)
//      (any type at    └──────────────┘
//       n == 0 may become another)
//
//   get_page_type(U) with U ≠ T and n > 0 fails: a frame cannot be an L1 and writable at once,
//   nor an L2 and an L1 (Xen: "Bad type"). Writable needs no validation; a descriptor page is
//   validated (every descriptor checked) but keeps its validated flag at n == 0, as only page
//   tables hold references to drop. A change away from writable (at n == 0) flushes the TLB
//   first (Xen filters by tlbflush_timestamp; here: only a writable frame can have translations
//   granting more than its new type allows), as does freeing a frame: no stale writable
//   translation survives a frame becoming a page table or descriptor page.
//   PAE: an L2 referenced from L3 slot 3 carries Xen's mappings (PGT_pae_xen_l2): a flag on the
//   L2 type, part of the type for the "same type?" test, so that L2 cannot also sit in slots 0-2.
//   pin(T): get_page_and_type(T) + the pinned flag; unpin drops both. A pinned frame keeps its
//   type (n ≥ 1) whoever else lets go; a frame is freed only unpinned with general count 0.
import { ERRNO } from "./abi.ts";
import { type Mfn, hex } from "./addr.ts";
import { type MachineFrames, OWNER_FREE } from "./frames.ts";

/** Page types (Xen PGT_*). L4 exists in the numbering only: 32-bit guests have none. */
export const PGT = { none: 0, l1: 1, l2: 2, l3: 3, l4: 4, seg_desc: 5, writable: 7 } as const;
export type PageType = (typeof PGT)[keyof typeof PGT];
/** Xen's PGT_pae_xen_l2, or-ed into PGT.l2: the L2 behind PAE L3 slot 3, holding Xen's slots. */
export const PGT_PAE_XEN_L2 = 0x10;
const TYPE_NAMES: Record<number, string> = { 0: "none", 1: "L1", 2: "L2", 3: "L3", 4: "L4", 5: "descriptor", 7: "writable" };
export const typeName = (t: number): string => TYPE_NAMES[t] ?? `type ${t}`;
const isPageTable = (t: number) => t >= PGT.l1 && t <= PGT.l4;

/**
 * How page tables are checked (issue 5's mm code supplies it): `validate` checks every entry of a
 * frame about to become type T and takes the references its entries need, undoing them all and
 * returning an errno when one fails; `devalidate` drops them when the last type reference goes.
 */
export interface PageTableHooks {
  /** `type` may carry PGT_PAE_XEN_L2 */
  validate(f: Mfn, type: number): number;
  devalidate(f: Mfn, type: number): void;
  /** a frame changes type: drop every cached translation (Xen flushes the dirty CPUs' TLBs) */
  typeChanging?(f: Mfn): void;
}

const noHooks: PageTableHooks = {
  validate: (f, t) => { throw new Error(`page-info: no page-table validator for ${typeName(t)} frame ${hex(f)}`); },
  devalidate: () => {},
};

export class PageInfoError extends Error {}

export class PageInfo {
  private readonly count: Uint32Array;
  /** PGT_* | PGT_PAE_XEN_L2 */
  private readonly type: Uint8Array;
  private readonly typeCount: Uint32Array;
  private readonly validated: Uint8Array;
  private readonly pinned: Uint8Array;
  private readonly allocated: Uint8Array;
  /** counters for --stats */
  readonly stats = { typeChanges: 0, validations: 0, validationFailures: 0, pins: 0, unpins: 0, freed: 0 };

  constructor(readonly frames: MachineFrames, public hooks: PageTableHooks = noHooks) {
    const n = frames.count;
    this.count = new Uint32Array(n);
    this.type = new Uint8Array(n);
    this.typeCount = new Uint32Array(n);
    this.validated = new Uint8Array(n);
    this.pinned = new Uint8Array(n);
    this.allocated = new Uint8Array(n);
  }

  /** machine frames the table covers (mfn_valid: f < frameCount) */
  get frameCount(): number { return this.frames.count; }
  owner(f: Mfn): number { return this.frames.owner(f); }
  refCount(f: Mfn): number { this.check(f); return this.count[f]; }
  typeOf(f: Mfn): PageType { this.check(f); return (this.type[f] & 7) as PageType; }
  /** the type with the PGT_PAE_XEN_L2 flag */
  typeInfo(f: Mfn): number { this.check(f); return this.type[f]; }
  typeCountOf(f: Mfn): number { this.check(f); return this.typeCount[f]; }
  isValidated(f: Mfn): boolean { this.check(f); return this.validated[f] !== 0; }
  isPinned(f: Mfn): boolean { this.check(f); return this.pinned[f] !== 0; }
  isAllocated(f: Mfn): boolean { this.check(f); return this.allocated[f] !== 0; }

  /**
   * A frame just given to a domain (assign_pages): the allocation holds one general reference
   * (PGC_allocated); type none.
   */
  assign(f: Mfn): void {
    this.check(f);
    if (this.frames.isFree(f)) throw new PageInfoError(`frame ${hex(f)} is free: allocate it first`);
    if (this.count[f] !== 0 || this.allocated[f]) throw new PageInfoError(`frame ${hex(f)} is in use (count ${this.count[f]})`);
    this.count[f] = 1;
    this.allocated[f] = 1;
    this.type[f] = PGT.none;
    this.typeCount[f] = 0;
    this.validated[f] = 0;
    this.pinned[f] = 0;
  }

  /**
   * share_xen_page_with_guest(SHARE_rw): a xen-heap frame the domain may map writable
   * (shared_info, grant-table frames): allocated, writable and validated with one type reference
   * that is never dropped, so it can never become a page table or descriptor page.
   */
  share(f: Mfn): void {
    this.assign(f);
    this.type[f] = PGT.writable;
    this.typeCount[f] = 1;
    this.validated[f] = 1;
  }

  /** get_page: a general reference, only on a frame `domid` owns. */
  getPage(f: Mfn, domid: number): boolean {
    if (f < 0 || f >= this.frames.count) return false;
    const owner = this.frames.owner(f);
    if (owner === OWNER_FREE || owner !== domid || this.count[f] === 0) return false;
    this.count[f]++;
    return true;
  }

  /** put_page: drop a general reference; at 0, with the allocation gone, the frame is freed. */
  putPage(f: Mfn): void {
    this.check(f);
    if (this.count[f] === 0) throw new PageInfoError(`put_page on frame ${hex(f)} with no references`);
    if (--this.count[f] === 0) {
      if (this.typeCount[f] !== 0 || this.pinned[f]) throw new PageInfoError(`frame ${hex(f)}: general count 0 with type references left`);
      this.type[f] = PGT.none;
      this.validated[f] = 0;
      this.frames.free(f);
      this.stats.freed++;
      // Xen flushes before a freed frame is handed out again (tlbflush_timestamp)
      this.hooks.typeChanging?.(f);
    }
  }

  /**
   * get_page_type: a type reference of `type` (the caller holds a general one). 0, or -EINVAL
   * for a conflicting type / -errno from validation. Changes type only at type count 0.
   */
  getPageType(f: Mfn, type: number): number {
    this.check(f);
    if (type === PGT.none) throw new PageInfoError("get_page_type(none)");
    if (this.typeCount[f] > 0) {
      if (this.type[f] !== type) return -ERRNO.EINVAL; // Xen: "Bad type"
      this.typeCount[f]++;
      return 0;
    }
    if ((this.type[f] & 7) !== (type & 7)) {
      // _get_page_type: a new type starts unvalidated (writable needs no validation)
      this.stats.typeChanges++;
      // Only a writable frame can have translations that allow more than its new type does.
      if ((this.type[f] & 7) === PGT.writable) this.hooks.typeChanging?.(f);
      this.validated[f] = type === PGT.writable ? 1 : 0;
    }
    this.type[f] = type;
    this.typeCount[f] = 1;
    if (!this.validated[f]) {
      if (isPageTable(type & 7) || type === PGT.seg_desc) {
        this.stats.validations++;
        // The type is set before validation (count 1, not validated), so a table that refers to
        // itself at another level meets "Bad type", as in Xen.
        let rc: number;
        try {
          rc = this.hooks.validate(f, type);
        } catch (e) {
          this.type[f] = PGT.none;
          this.typeCount[f] = 0;
          throw e;
        }
        if (rc !== 0) {
          // alloc_page_type failed: the validator undid its references; the frame is untyped again
          this.stats.validationFailures++;
          this.type[f] = PGT.none;
          this.typeCount[f] = 0;
          return rc;
        }
      }
      this.validated[f] = 1;
    }
    return 0;
  }

  /** put_page_type: drop a type reference; the last one of a page table devalidates it. */
  putPageType(f: Mfn): void {
    this.check(f);
    if (this.typeCount[f] === 0) throw new PageInfoError(`put_page_type on frame ${hex(f)} with no type references`);
    if (--this.typeCount[f] === 0 && isPageTable(this.type[f] & 7)) {
      this.validated[f] = 0;
      this.hooks.devalidate(f, this.type[f]);
      this.type[f] &= ~PGT_PAE_XEN_L2; // free_l2_table drops the flag
    }
  }

  /** get_page_and_type: both references, or neither. 0 or -errno. */
  getPageAndType(f: Mfn, domid: number, type: number): number {
    if (!this.getPage(f, domid)) return -ERRNO.EINVAL;
    const rc = this.getPageType(f, type);
    if (rc !== 0) this.putPage(f);
    return rc;
  }
  putPageAndType(f: Mfn): void {
    this.putPageType(f);
    this.putPage(f);
  }

  /** MMUEXT_PIN_Lx_TABLE: 0, or -EINVAL (not the domain's, wrong type, validation failed, already pinned). */
  pin(f: Mfn, domid: number, type: PageType): number {
    if (!isPageTable(type)) return -ERRNO.EINVAL;
    const rc = this.getPageAndType(f, domid, type);
    if (rc !== 0) return rc;
    if (this.pinned[f]) {
      this.putPageAndType(f);
      return -ERRNO.EINVAL; // "mfn already pinned"
    }
    this.pinned[f] = 1;
    this.stats.pins++;
    return 0;
  }

  /** The pinned flag on a frame whose pin references the caller already took (do_mmuext_op). */
  markPinned(f: Mfn): void {
    this.check(f);
    if (this.pinned[f]) throw new PageInfoError(`frame ${hex(f)} is already pinned`);
    this.pinned[f] = 1;
    this.stats.pins++;
  }

  /** MMUEXT_UNPIN_TABLE: 0, or -EINVAL when not the domain's or not pinned. */
  unpin(f: Mfn, domid: number): number {
    if (f < 0 || f >= this.frames.count || this.frames.owner(f) !== domid || !this.pinned[f]) return -ERRNO.EINVAL;
    this.pinned[f] = 0;
    this.stats.unpins++;
    this.putPageAndType(f);
    return 0;
  }

  /**
   * The domain gives the frame back (decrease_reservation, domain teardown): a pin is dropped,
   * then the allocation reference. The frame is freed at once if nothing else holds it, else when
   * the last reference goes. Returns false if the frame was not allocated to `domid`.
   */
  release(f: Mfn, domid: number): boolean {
    if (f < 0 || f >= this.frames.count || this.frames.owner(f) !== domid || !this.allocated[f]) return false;
    if (this.pinned[f]) this.unpin(f, domid);
    this.allocated[f] = 0;
    this.putPage(f);
    return true;
  }

  private check(f: number): void {
    if (!Number.isInteger(f) || f < 0 || f >= this.frames.count) throw new PageInfoError(`machine frame ${hex(f)} is outside RAM`);
  }
}
