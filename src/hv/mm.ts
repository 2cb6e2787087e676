// Simple but correct mappings (Xen arch/x86/mm.c): update_va_mapping, mmuext_op NEW_BASEPTR /
// TLB flushes / INVLPG, and the CR3 switch. What IS checked: the linear address is below the
// hypervisor area and its L1 entry exists, a present new entry maps a frame the domain owns, the
// entry uses no bits a domU may not set (cache attributes PWT/PCD/PAT, reserved high bits), a new
// base is the domain's frame.
//
// NOT checked (issue 5, page types and reference counts — do not rely on these being safe): that a
// new base is a valid L3/L2 table, that an entry does not map a page-table or descriptor frame
// writable, that tables reference only tables of the right level. The MMUEXT pin/unpin, SET_LDT,
// CLEAR_PAGE and COPY_PAGE commands and mmu_update are -ENOSYS until then.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { ERRNO, MMUEXT, MMUEXT_OP, UVMF_ALL, UVMF_FLUSHTYPE_MASK, UVMF_INVLPG, UVMF_TLB_FLUSH } from "./abi.ts";
import { DOMID_SELF } from "./events.ts";

const P = 1, PS = 0x80;
/** L1 flag bits a domU may not set: PWT, PCD, PAT (l1_disallow_mask without cache rights). */
const L1_DISALLOW_LO = 0x08 | 0x10 | 0x80;

/** Machine address of the L1 entry mapping `va`, or null when no L1 table covers it. */
export function l1EntryMa(d: Domain, va: number): number | null {
  va >>>= 0;
  if (va >= d.hvStart) return null;
  const cr3 = d.machine.field(L.S_CR3);
  if (d.layout === "pae") {
    const l3 = d.readMachineU32(((cr3 & ~0x1f) >>> 0) + (va >>> 30) * 8);
    if (!(l3 & P)) return null;
    const l2ma = ((l3 & ~0xfff) >>> 0) + ((va >>> 21) & 511) * 8;
    const l2 = d.readMachineU32(l2ma);
    if (!(l2 & P) || (l2 & PS)) return null;
    return ((l2 & ~0xfff) >>> 0) + ((va >>> 12) & 511) * 8;
  }
  const pde = d.readMachineU32(((cr3 & ~0xfff) >>> 0) + (va >>> 22) * 4);
  if (!(pde & P) || (pde & PS)) return null;
  return ((pde & ~0xfff) >>> 0) + ((va >>> 12) & 1023) * 4;
}

/** Is (lo, hi) an L1 entry this domain may install? */
function l1EntryOk(d: Domain, lo: number, hi: number): boolean {
  if (!(lo & P)) return true;
  if (lo & L1_DISALLOW_LO) return false;
  if (d.layout === "pae") {
    // Machine addresses stay below 4 GiB here; only NX (bit 63) may be set in the high word.
    if ((hi & 0x7fffffff) !== 0) return false;
  } else if (hi !== 0) return false;
  return d.ownsMfn(lo >>> 12);
}

/** Apply a flush request: `how` = flags & UVMF_FLUSHTYPE_MASK, `mask` = flags & ~MASK. */
function flush(d: Domain, how: number, target: number, va: number): number {
  if (how === 0) return 0;
  // UVMF_LOCAL (0) and UVMF_ALL mean this vCPU; anything else points at a vCPU bitmap.
  if (target !== 0 && target !== UVMF_ALL) {
    const bitmap = d.mem.readU32(target); // GuestFault → -EFAULT
    if (!(bitmap & 1)) return 0;
  }
  if (how === UVMF_TLB_FLUSH) d.flushTlb();
  else if (how === UVMF_INVLPG) d.invlpg(va);
  return 0;
}

/** HYPERVISOR_update_va_mapping(va, pte_lo, pte_hi, flags) */
export function updateVaMapping(d: Domain, va: number, lo: number, hi: number, flags: number): number {
  const at = l1EntryMa(d, va);
  if (at === null) return -ERRNO.EINVAL;
  if (d.layout === "classic" && hi !== 0) return -ERRNO.EINVAL;
  if (!l1EntryOk(d, lo, hi)) return -ERRNO.EINVAL;
  if (d.layout === "pae") d.writeMachineU64(at, lo, hi);
  else d.writeMachineU32(at, lo);
  return flush(d, flags & UVMF_FLUSHTYPE_MASK, flags & ~UVMF_FLUSHTYPE_MASK, va);
}

/**
 * new_guest_cr3: switch to the table at `mfn` (must be the domain's frame). The L2 covering the
 * hypervisor area gets the hypervisor's slots, as Xen fills a PGT_pae_xen_l2 (or a classic L2)
 * when it validates it — here without the validation (issue 5).
 */
export function newBaseptr(d: Domain, mfn: number): number {
  if (!d.ownsMfn(mfn)) return -ERRNO.EINVAL;
  if (d.hvArea) {
    let l2 = mfn;
    if (d.layout === "pae") {
      const l3 = d.readMachineU32(mfn * 4096 + (d.hvStart >>> 30) * 8);
      if (!(l3 & P) || !d.ownsMfn(l3 >>> 12)) return -ERRNO.EINVAL;
      l2 = l3 >>> 12;
    }
    d.hvArea.installInto(l2);
  }
  d.machine.setField(L.S_CR3, mfn * 4096);
  d.machine.core.exports.tlbFlush(1); // a CR3 write keeps global entries
  return 0;
}

/** HYPERVISOR_mmuext_op(ops, count, pdone, domid): stops at the first failing op. */
export function mmuextOp(d: Domain, ops: number, count: number, pdone: number, domid: number): number {
  if ((domid & 0xffff) !== DOMID_SELF && (domid & 0xffff) !== d.domid) return -ERRNO.ESRCH;
  let rc = 0, i = 0;
  for (; i < count >>> 0; i++) {
    const [cmd, arg1, arg2] = d.mem.readU32s((ops + i * MMUEXT_OP.size) >>> 0, 3);
    switch (cmd) {
      case MMUEXT.NEW_BASEPTR: rc = newBaseptr(d, arg1); break;
      case MMUEXT.TLB_FLUSH_LOCAL: case MMUEXT.TLB_FLUSH_ALL: d.flushTlb(); break;
      case MMUEXT.INVLPG_LOCAL: case MMUEXT.INVLPG_ALL: d.invlpg(arg1); break;
      case MMUEXT.TLB_FLUSH_MULTI: rc = flush(d, UVMF_TLB_FLUSH, arg2, 0); break;
      case MMUEXT.INVLPG_MULTI: rc = flush(d, UVMF_INVLPG, arg2, arg1); break;
      default: rc = -ERRNO.ENOSYS; break; // pins, SET_LDT, CLEAR/COPY_PAGE: issue 5
    }
    if (rc) break;
  }
  if (pdone) d.mem.writeU32(pdone, i);
  return rc;
}
