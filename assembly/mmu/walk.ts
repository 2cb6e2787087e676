// Page-table walks (SDM Vol. 3, chapter 4): 32-bit paging with 4 KiB and 4 MiB (CR4.PSE) pages,
// PAE paging with 4 KiB and 2 MiB pages and NX. The walk sets accessed bits on every level it
// uses and the dirty bit on the final entry for writes, then fills the TLB with the rights
// combined over all levels.
//
// PAE note: the PDPTEs are read on every walk rather than cached at CR3 load; the PV ABI needs
// exactly that (its L3 entries are not architectural PDPTEs) and bare guests cannot tell the
// difference unless they modify a PDPTE without reloading CR3.
import { S_CR0, S_CR3, S_CR4, S_EFER, S_TLB_WALKS, S_RAM_SIZE } from "../layout";
import { physRead32, physRead64, physWrite32, physWrite64, isCodePage } from "./phys";
import {
  tlbInsert, TLB_VALID, TLB_USER, TLB_WRITE_SUP, TLB_WRITE_USER, TLB_NOCODE, TLB_GLOBAL, TLB_NX,
  TLB_LARGE,
} from "./tlb";
import { pageFault } from "../priv/exception";

export const CR0_PE: u32 = 1 << 0;
export const CR0_TS: u32 = 1 << 3;
export const CR0_ET: u32 = 1 << 4;
export const CR0_WP: u32 = 1 << 16;
export const CR0_PG: u32 = 1 << 31;
export const CR4_PSE: u32 = 1 << 4;
export const CR4_PAE: u32 = 1 << 5;
export const CR4_PGE: u32 = 1 << 7;
export const EFER_NXE: u32 = 1 << 11;

// Paging-structure entry bits.
const P: u32 = 1 << 0;
const RW: u32 = 1 << 1;
const US: u32 = 1 << 2;
const A: u32 = 1 << 5;
const D: u32 = 1 << 6;
const PS: u32 = 1 << 7;
const G: u32 = 1 << 8;

// #PF error code bits (SDM Vol. 3, Figure 4-12).
export const PFEC_P: u32 = 1 << 0;
export const PFEC_W: u32 = 1 << 1;
export const PFEC_U: u32 = 1 << 2;
export const PFEC_RSVD: u32 = 1 << 3;
export const PFEC_I: u32 = 1 << 4;

// Access kinds.
export const ACC_WRITE: u32 = 1;
/** checked with user rights (CPL 3 and not an implicit supervisor access) */
export const ACC_USER: u32 = 2;
export const ACC_FETCH: u32 = 4;

/** The value returned for a failed translation (a #PF is pending). */
export const NO_MA: u32 = 0xFFFFFFFF;

function fail(lin: u32, acc: u32, protection: bool, rsvd: bool): u32 {
  let code: u32 = protection ? PFEC_P : 0;
  if (acc & ACC_WRITE) code |= PFEC_W;
  if (acc & ACC_USER) code |= PFEC_U;
  if (rsvd) code |= PFEC_RSVD | PFEC_P;
  // I/D is reported only when execute-disable is in force (SDM Vol. 3, 4.7).
  if ((acc & ACC_FETCH) && (load<u32>(S_EFER) & EFER_NXE) && (load<u32>(S_CR4) & CR4_PAE)) code |= PFEC_I;
  pageFault(lin, code);
  return NO_MA;
}

/**
 * Translate a linear address for an access of kind `acc`, filling the TLB. Returns the machine
 * address, or NO_MA with a #PF pending.
 */
export function walk(lin: u32, acc: u32): u32 {
  store<u64>(S_TLB_WALKS, load<u64>(S_TLB_WALKS) + 1);
  const cr0 = load<u32>(S_CR0);
  if (!(cr0 & CR0_PG)) {
    const ma = lin;
    fill(lin >>> 12, ma >>> 12, true, true, false, false, true);
    return ma;
  }
  const cr4 = load<u32>(S_CR4);
  return cr4 & CR4_PAE ? walkPae(lin, acc, cr0, cr4) : walk2(lin, acc, cr0, cr4);
}

/** Check the combined rights; raise #PF for a violation. Returns true when the access may proceed. */
@inline function allowed(lin: u32, acc: u32, user: bool, writable: bool, nx: bool, cr0: u32): bool {
  if ((acc & ACC_USER) && !user) { fail(lin, acc, true, false); return false; }
  if ((acc & ACC_WRITE) && !writable && ((acc & ACC_USER) || (cr0 & CR0_WP))) { fail(lin, acc, true, false); return false; }
  if ((acc & ACC_FETCH) && nx) { fail(lin, acc, true, false); return false; }
  return true;
}

function fill(lpn: u32, mpn: u32, user: bool, writable: bool, global: bool, nx: bool, dirty: bool, large: bool = false): void {
  const cr0 = load<u32>(S_CR0);
  // Machine pages outside RAM are not cached: every access takes the slow path.
  if ((mpn << 12) >= load<u32>(S_RAM_SIZE) || mpn >= 0x100000) return;
  let e: u32 = (mpn << 12) | TLB_VALID;
  if (user) e |= TLB_USER;
  if (dirty) {
    // Supervisor writes ignore R/W when CR0.WP = 0 (SDM Vol. 3, 4.6.1).
    if (writable || !(cr0 & CR0_WP)) e |= TLB_WRITE_SUP;
    if (writable && user) e |= TLB_WRITE_USER;
  }
  if (!isCodePage(mpn)) e |= TLB_NOCODE;
  if (global) e |= TLB_GLOBAL;
  if (nx) e |= TLB_NX;
  if (large) e |= TLB_LARGE;
  tlbInsert(lpn, e);
}

function walk2(lin: u32, acc: u32, cr0: u32, cr4: u32): u32 {
  const pdeMa = (load<u32>(S_CR3) & 0xFFFFF000) + ((lin >>> 22) << 2);
  const pde = physRead32(pdeMa);
  if (!(pde & P)) return fail(lin, acc, false, false);
  const write = (acc & ACC_WRITE) != 0;
  if ((pde & PS) && (cr4 & CR4_PSE)) {
    // 4 MiB page. Bits 13-21 are reserved: MAXPHYADDR is 32, so PSE-36 has no address bits.
    if (pde & 0x003FE000) return fail(lin, acc, true, true);
    const user = (pde & US) != 0, writable = (pde & RW) != 0;
    if (!allowed(lin, acc, user, writable, false, cr0)) return NO_MA;
    const upd = pde | A | (write ? D : 0);
    if (upd != pde) physWrite32(pdeMa, upd);
    const ma = (pde & 0xFFC00000) | (lin & 0x003FFFFF);
    fill(lin >>> 12, ma >>> 12, user, writable, (pde & G) != 0 && (cr4 & CR4_PGE) != 0, false, (upd & D) != 0, true);
    return ma;
  }
  const pteMa = (pde & 0xFFFFF000) + (((lin >>> 12) & 0x3FF) << 2);
  const pte = physRead32(pteMa);
  if (!(pte & P)) {
    if (!(pde & A)) physWrite32(pdeMa, pde | A);
    return fail(lin, acc, false, false);
  }
  const user = (pde & US) != 0 && (pte & US) != 0;
  const writable = (pde & RW) != 0 && (pte & RW) != 0;
  if (!allowed(lin, acc, user, writable, false, cr0)) return NO_MA;
  if (!(pde & A)) physWrite32(pdeMa, pde | A);
  const upd = pte | A | (write ? D : 0);
  if (upd != pte) physWrite32(pteMa, upd);
  const ma = (pte & 0xFFFFF000) | (lin & 0xFFF);
  fill(lin >>> 12, ma >>> 12, user, writable, (pte & G) != 0 && (cr4 & CR4_PGE) != 0, false, (upd & D) != 0);
  return ma;
}

/**
 * Reserved bits of a PAE entry's high half: 32..62, since CPUID leaf 0x80000008 reports
 * MAXPHYADDR = 32, and bit 63 unless EFER.NXE (SDM Vol. 3, 4.4.2).
 */
@inline function paeReserved(e: u64, nxe: bool): bool {
  const hi = u32(e >> 32);
  return (hi & 0x7FFFFFFF) != 0 || (!nxe && (hi & 0x80000000) != 0);
}

function walkPae(lin: u32, acc: u32, cr0: u32, cr4: u32): u32 {
  const nxe = (load<u32>(S_EFER) & EFER_NXE) != 0;
  const write = (acc & ACC_WRITE) != 0;
  const l3Ma = (load<u32>(S_CR3) & 0xFFFFFFE0) + ((lin >>> 30) << 3);
  const l3 = physRead64(l3Ma);
  if (!(u32(l3) & P)) return fail(lin, acc, false, false);
  if (paeReserved(l3, nxe)) return fail(lin, acc, true, true);
  const l2Ma = (u32(l3) & 0xFFFFF000) + (((lin >>> 21) & 0x1FF) << 3);
  const l2 = physRead64(l2Ma);
  const l2lo = u32(l2);
  if (!(l2lo & P)) return fail(lin, acc, false, false);
  if (paeReserved(l2, nxe)) return fail(lin, acc, true, true);
  const nx2 = nxe && (l2 >> 63) != 0;
  if (l2lo & PS) {
    if (l2lo & 0x001FE000) return fail(lin, acc, true, true);
    const user = (l2lo & US) != 0, writable = (l2lo & RW) != 0;
    if (!allowed(lin, acc, user, writable, nx2, cr0)) return NO_MA;
    const upd = l2 | A | (write ? D : 0);
    if (upd != l2) physWrite64(l2Ma, upd);
    const ma = (l2lo & 0xFFE00000) | (lin & 0x001FFFFF);
    fill(lin >>> 12, ma >>> 12, user, writable, (l2lo & G) != 0 && (cr4 & CR4_PGE) != 0, nx2, (u32(upd) & D) != 0, true);
    return ma;
  }
  const l1Ma = (l2lo & 0xFFFFF000) + (((lin >>> 12) & 0x1FF) << 3);
  const l1 = physRead64(l1Ma);
  const l1lo = u32(l1);
  if (!(l1lo & P)) {
    if (!(l2lo & A)) physWrite64(l2Ma, l2 | A);
    return fail(lin, acc, false, false);
  }
  if (paeReserved(l1, nxe)) return fail(lin, acc, true, true);
  const nx = nx2 || (nxe && (l1 >> 63) != 0);
  const user = (l2lo & US) != 0 && (l1lo & US) != 0;
  const writable = (l2lo & RW) != 0 && (l1lo & RW) != 0;
  if (!allowed(lin, acc, user, writable, nx, cr0)) return NO_MA;
  if (!(l2lo & A)) physWrite64(l2Ma, l2 | A);
  const upd = l1 | A | (write ? D : 0);
  if (upd != l1) physWrite64(l1Ma, upd);
  const ma = (l1lo & 0xFFFFF000) | (lin & 0xFFF);
  fill(lin >>> 12, ma >>> 12, user, writable, (l1lo & G) != 0 && (cr4 & CR4_PGE) != 0, nx, (u32(upd) & D) != 0);
  return ma;
}
