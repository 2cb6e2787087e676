// Validating page tables: what an entry of each level takes when it is installed and gives back
// when it goes (Xen arch/x86/mm.c: get_page_from_l1e/l2e/l3e, put_page_from_l?e,
// alloc_l?_table / free_l?_table, get_l2_linear_pagetable, alloc_segdesc_page). These are the
// hooks page-info.ts calls when a frame takes or loses a page-table type; the page-type state
// diagram is at the top of page-info.ts.
//
// What an entry holds (every one also holds a general reference on the frame it maps):
//   L1 present, RW      a writable type reference on the mapped frame: so no page table or
//                       descriptor page is ever writable through a guest mapping (-EBUSY)
//   L1 present, !RW     only the general reference
//   L2 present          an L1 type reference on the L1 (validating it), or, read-only and of
//                       the same level, a "linear page table" reference to a validated L2
//   L3 present (PAE)    an L2 type reference; slot 3 an L2 with Xen's mappings (PGT_pae_xen_l2),
//                       which only that one L3 may reference
// Frames the domain does not own (another domain's, Xen's, free ones) give -EBUSY in an L1 and
// -EINVAL at the higher levels; frames beyond RAM are I/O space, refused to a domU with -EPERM.
// A failed validation undoes every reference the entries before the failing one took.
import type { Machine } from "../../core/machine.ts";
import { L } from "../../core/layout.gen.ts";
import { ERRNO } from "../abi.ts";
import { type Mfn, hex } from "../addr.ts";
import { type PageInfo, type PageTableHooks, PGT, PGT_PAE_XEN_L2, typeName } from "../page-info.ts";
import {
  type PteFormat, PAE_PTE, CLASSIC_PTE, entryMfn, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER,
  L1_DISALLOW_LO, L1_DISALLOW_HI, L2_DISALLOW_LO, L2_DISALLOW_HI, L3_DISALLOW_LO, L3_DISALLOW_HI,
} from "./pte.ts";

/** The hypervisor's slots: written into an L2 covering the hypervisor area when it is validated. */
export interface XenSlots { installInto(l2: number): void }

/** Counters for --stats (docs/HYPERVISOR.md "Memory"). */
export class MmStats {
  /** page-table entries installed through the full check (get_page_from_l?e) */
  entriesValidated = 0;
  /** updates that changed only A/D/U/G/AVAIL/NX bits of an entry (no revalidation) */
  entriesFastPath = 0;
  machphysUpdates = 0;
  /** writes by mmu_update into a frame that is not a page table (Xen's writable_mmu_updates) */
  writableUpdates = 0;
  /** failed mmu_update / mmuext_op / update_va_mapping calls, by errno */
  failures = new Map<number, number>();
  fail(rc: number): number {
    if (rc < 0) this.failures.set(-rc, (this.failures.get(-rc) ?? 0) + 1);
    return rc;
  }
}

export class DirectPaging implements PageTableHooks {
  readonly fmt: PteFormat;
  /** first L2 slot of the hypervisor area (classic: of every L2; PAE: of the L2 behind L3[3]) */
  readonly xenL2Slot: number;
  /** Xen's linear_pt_count: > 0 linear entries this L2 holds, < 0 linear uses of it */
  private readonly linearCount: Int16Array;
  readonly stats = new MmStats();
  /** check_descriptor for descriptor pages (the domain supplies it; descriptor-tables.ts) */
  checkDescriptor?: (lo: number, hi: number) => [number, number] | null;
  /** Xen's gdprintk: the hypervisor's log of refused updates */
  log: (msg: string) => void = () => {};

  constructor(readonly machine: Machine, readonly pages: PageInfo, readonly pae: boolean,
              readonly hvStart: number, private readonly xenSlots?: XenSlots) {
    this.fmt = pae ? PAE_PTE : CLASSIC_PTE;
    this.xenL2Slot = pae ? (hvStart >>> 21) & 511 : hvStart >>> 22;
    this.linearCount = new Int16Array(pages.frameCount);
    pages.hooks = this;
  }

  // ---- entries in machine memory ----
  private get dv(): DataView { return this.machine.core.dv; }
  entryMa(table: Mfn, i: number): number { return table * 4096 + i * this.fmt.bytes; }
  readEntry(table: Mfn, i: number): [number, number] {
    const at = L.RAM_BASE + this.entryMa(table, i);
    return [this.dv.getUint32(at, true), this.pae ? this.dv.getUint32(at + 4, true) : 0];
  }
  writeEntry(table: Mfn, i: number, lo: number, hi: number): void {
    const at = L.RAM_BASE + this.entryMa(table, i);
    this.dv.setUint32(at, lo >>> 0, true);
    if (this.pae) this.dv.setUint32(at + 4, hi >>> 0, true);
    this.machine.invalidateCode(table);
  }
  /** A frame number the machine has (mfn_valid). */
  private mfnValid(f: number): boolean { return f < this.pages.frameCount; }

  flushTlb(): void { this.machine.core.exports.tlbFlush(0); }

  // ---- PageTableHooks ----
  typeChanging(): void { this.flushTlb(); }

  validate(f: Mfn, type: number): number {
    switch (type & 7) {
      case PGT.l1: return this.allocL1(f);
      case PGT.l2: this.linearCount[f] = 0; return this.allocL2(f, type);
      case PGT.l3: return this.pae ? this.allocL3(f) : -ERRNO.EINVAL;
      case PGT.seg_desc: return this.allocSegdesc(f);
      default: return -ERRNO.EINVAL; // L4: 32-bit guests have none
    }
  }

  devalidate(f: Mfn, type: number): void {
    switch (type & 7) {
      case PGT.l1: for (let i = 0; i < this.fmt.entries; i++) this.putL1e(...this.readEntry(f, i)); break;
      case PGT.l2:
        for (let i = 0; i < this.fmt.entries; i++) if (this.isGuestL2Slot(type, i)) this.putL2e(...this.readEntry(f, i), f);
        break;
      case PGT.l3: for (let i = 0; i < 4; i++) this.putL3e(...this.readEntry(f, i), f); break;
    }
  }

  /** is_guest_l2_slot: the slots of an L2 the guest controls. */
  isGuestL2Slot(type: number, i: number): boolean {
    if (this.pae && !(type & PGT_PAE_XEN_L2)) return true;
    return i < this.xenL2Slot;
  }

  // ---- L1 ----
  /** get_page_from_l1e: 0, or -EINVAL (bad flags), -EPERM (I/O space), -EBUSY (not mappable). */
  getL1e(lo: number, hi: number, domid: number): number {
    if (!(lo & _PAGE_PRESENT)) return 0;
    if ((lo & L1_DISALLOW_LO) || (hi & L1_DISALLOW_HI)) {
      this.log(`Bad L1 flags ${hex((lo & L1_DISALLOW_LO) | (hi & L1_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    const f = entryMfn(lo, hi);
    if (!this.mfnValid(f)) {
      // not RAM: I/O space, which a domU may not map ("non-privileged attempt to map MMIO space")
      this.log(`d${domid} non-privileged attempt to map MMIO space ${hex(f)}`);
      return f === (this.pae ? 2 ** 40 - 1 : 0xfffff) ? -ERRNO.EINVAL : -ERRNO.EPERM;
    }
    if (!this.pages.getPage(f, domid)) {
      this.log(`Error getting mfn ${hex(f)} from L1 entry for d${domid}: owner ${this.pages.owner(f)}`);
      return -ERRNO.EBUSY; // could_not_pin
    }
    if ((lo & _PAGE_RW) && this.pages.getPageType(f, PGT.writable) !== 0) {
      this.log(`Could not get page type PGT_writable_page for mfn ${hex(f)} (${typeName(this.pages.typeOf(f))})`);
      this.pages.putPage(f);
      return -ERRNO.EBUSY;
    }
    return 0;
  }

  /** put_page_from_l1e */
  putL1e(lo: number, hi: number): void {
    if (!(lo & _PAGE_PRESENT)) return;
    const f = entryMfn(lo, hi);
    if (!this.mfnValid(f)) return;
    if (lo & _PAGE_RW) this.pages.putPageAndType(f);
    else this.pages.putPage(f);
  }

  private allocL1(f: Mfn): number {
    const owner = this.pages.owner(f);
    for (let i = 0; i < this.fmt.entries; i++) {
      const rc = this.getL1e(...this.readEntry(f, i), owner);
      if (rc) {
        this.log(`Failure in alloc_l1_table: slot ${hex(i)}`);
        while (i-- > 0) this.putL1e(...this.readEntry(f, i));
        return rc;
      }
    }
    return 0;
  }

  // ---- L2 ----
  /** get_page_from_l2e: 0 or -errno (the L1's own validation errors pass through). */
  getL2e(lo: number, hi: number, l2: Mfn, domid: number): number {
    if (!(lo & _PAGE_PRESENT)) return 0;
    if ((lo & L2_DISALLOW_LO) || (hi & L2_DISALLOW_HI)) {
      this.log(`Bad L2 flags ${hex((lo & L2_DISALLOW_LO) | (hi & L2_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    const f = entryMfn(lo, hi);
    let rc = this.getPageAndTypeFromMfn(f, PGT.l1, domid);
    if (rc === -ERRNO.EINVAL && this.getL2Linear(lo, f, l2, domid)) rc = 0;
    return rc;
  }

  /**
   * get_l2_linear_pagetable (pv-linear-pt on, Xen's default): an L2 entry may map an L2 — itself
   * or an already validated one — read-only, so the guest can read its tables through it. A
   * table with linear entries may not itself be mapped linearly, nor the other way round.
   */
  private getL2Linear(lo: number, f: Mfn, l2: Mfn, domid: number): boolean {
    if (lo & _PAGE_RW) { this.log("Attempt to create linear p.t. with write perms"); return false; }
    if (f === l2) return true; // a self-map takes nothing
    if (this.pages.owner(l2) !== domid || !this.mfnValid(f) || !this.pages.getPage(f, domid)) return false;
    if (this.linearCount[l2] < 0) { this.pages.putPage(f); return false; } // inc_linear_entries
    if (this.linearCount[f] > 0) { this.pages.putPage(f); return false; } // inc_linear_uses
    if (this.pages.typeOf(f) !== PGT.l2 || !this.pages.isValidated(f) ||
        this.pages.getPageType(f, this.pages.typeInfo(f)) !== 0) {
      this.pages.putPage(f);
      return false;
    }
    this.linearCount[l2]++;
    this.linearCount[f]--;
    return true;
  }

  /** put_page_from_l2e */
  putL2e(lo: number, hi: number, l2: Mfn): void {
    if (!(lo & _PAGE_PRESENT)) return;
    const f = entryMfn(lo, hi);
    if (f === l2 || !this.mfnValid(f)) return;
    if (this.pages.typeOf(f) === this.pages.typeOf(l2)) {
      // a linear page-table entry (same level): dec_linear_uses / dec_linear_entries
      this.linearCount[f]++;
      this.linearCount[l2]--;
    }
    this.pages.putPageAndType(f);
  }

  private allocL2(f: Mfn, type: number): number {
    const owner = this.pages.owner(f);
    for (let i = 0; i < this.fmt.entries; i++) {
      if (!this.isGuestL2Slot(type, i)) continue;
      const rc = this.getL2e(...this.readEntry(f, i), f, owner);
      if (rc) {
        this.log(`Failure in alloc_l2_table: slot ${hex(i)}`);
        while (i-- > 0) if (this.isGuestL2Slot(type, i)) this.putL2e(...this.readEntry(f, i), f);
        return rc;
      }
    }
    // PAE: init_xen_pae_l2_slots; classic (x86_32 Xen): every L2 gets Xen's slots
    if (!this.pae || (type & PGT_PAE_XEN_L2)) this.xenSlots?.installInto(f);
    return 0;
  }

  // ---- L3 (PAE) ----
  /** get_page_from_l3e for slots 0-2: 0 or -errno. */
  getL3e(lo: number, hi: number, domid: number, type: number = PGT.l2): number {
    if (!(lo & _PAGE_PRESENT)) return 0;
    if ((lo & L3_DISALLOW_LO) || (hi & L3_DISALLOW_HI)) {
      this.log(`Bad L3 flags ${hex((lo & L3_DISALLOW_LO) | (hi & L3_DISALLOW_HI))}`);
      return -ERRNO.EINVAL;
    }
    return this.getPageAndTypeFromMfn(entryMfn(lo, hi), type, domid);
  }

  /** put_page_from_l3e */
  putL3e(lo: number, hi: number, l3: Mfn): void {
    if (!(lo & _PAGE_PRESENT)) return;
    const f = entryMfn(lo, hi);
    if (f === l3 || !this.mfnValid(f)) return;
    this.pages.putPageAndType(f);
  }

  private allocL3(f: Mfn): number {
    const owner = this.pages.owner(f);
    // A 32-bit guest's L3 has 4 entries; Xen clears the rest of the page.
    for (let i = 4; i < 512; i++) this.writeEntry(f, i, 0, 0);
    let i = 0, rc = 0;
    for (; i < 4; i++) {
      const [lo, hi] = this.readEntry(f, i);
      if (i === 3) {
        // Slot 3 must map an L2 that takes Xen's mappings (PGT_pae_xen_l2).
        rc = !(lo & _PAGE_PRESENT) || (lo & L3_DISALLOW_LO) || (hi & L3_DISALLOW_HI)
          ? -ERRNO.EINVAL : this.getPageAndTypeFromMfn(entryMfn(lo, hi), PGT.l2 | PGT_PAE_XEN_L2, owner);
      } else rc = this.getL3e(lo, hi, owner);
      if (rc) break;
    }
    // create_pae_xen_mappings: that L2 must be this L3's alone
    if (!rc && this.pages.typeCountOf(entryMfn(...this.readEntry(f, 3))) !== 1) {
      this.log("PAE L3 3rd slot is shared");
      rc = -ERRNO.EINVAL;
    }
    if (rc) {
      this.log(`Failure in alloc_l3_table: slot ${hex(i)}`);
      while (i-- > 0) this.putL3e(...this.readEntry(f, i), f);
      return rc;
    }
    // adjust_guest_l3e: present entries get RW and U (a 32-bit guest's L3 is walked as a level)
    for (let j = 0; j < 4; j++) {
      const [lo, hi] = this.readEntry(f, j);
      if (lo & _PAGE_PRESENT) this.writeEntry(f, j, lo | _PAGE_RW | _PAGE_USER, hi);
    }
    return 0;
  }

  // ---- descriptor pages ----
  /** alloc_segdesc_page: every descriptor passes check_descriptor (rewritten in place), else -EINVAL. */
  private allocSegdesc(f: Mfn): number {
    const check = this.checkDescriptor;
    if (!check) throw new Error(`mm: no descriptor checker to validate descriptor page ${hex(f)}`);
    const out: [number, number, number][] = [];
    for (let i = 0; i < 512; i++) {
      const at = L.RAM_BASE + f * 4096 + i * 8;
      const a = this.dv.getUint32(at, true), b = this.dv.getUint32(at + 4, true);
      const ok = check(a, b);
      if (!ok) return -ERRNO.EINVAL;
      if (ok[0] !== a || ok[1] !== b) out.push([at, ok[0], ok[1]]);
    }
    for (const [at, a, b] of out) { this.dv.setUint32(at, a, true); this.dv.setUint32(at + 4, b, true); }
    if (out.length) this.machine.invalidateCode(f);
    return 0;
  }

  // ---- references ----
  /** get_page_and_type_from_mfn: -EINVAL when not the domain's; else the type's own result. */
  getPageAndTypeFromMfn(f: number, type: number, domid: number): number {
    if (!this.mfnValid(f)) return -ERRNO.EINVAL;
    return this.pages.getPageAndType(f as Mfn, domid, type);
  }
}
