// Guest descriptor tables (Xen arch/x86/pv/descriptor-tables.c): set_gdt, update_descriptor and
// check_descriptor, which validates by rewriting — DPL 0 is raised to 1, a flat segment is kept off
// the hypervisor area, a call gate gets DPL 0 so its use traps — and rejects what it cannot make
// safe. Also the hypervisor's own flat selectors (entries from 0x1c00, XEN-PV-ABI.md §1) and the
// selector lookup the bounce and iret paths use to load CS/SS. The guest's segments end where the
// read-only M2P ends (Domain.segmentEnd): the hypervisor's GDT mapping lies above.
//
// Each GDT frame holds a descriptor-page type reference while installed (src/hv/mm/seg-desc.ts):
// the guest cannot map it writable, and taking the reference checks every descriptor in it.
// LDTs (mmuext SET_LDT) are not implemented: LDT selectors do not load.
import type { Domain } from "./domain.ts";
import { syncGdt } from "./core-mirror.ts";
import { ldtDescriptor } from "./ldt.ts";
import { ERRNO, FLAT_RING1_CS, FLAT_RING1_DS, FLAT_RING3_CS, FLAT_RING3_DS, FIRST_RESERVED_GDT_ENTRY } from "./abi.ts";
import { type Mfn } from "./addr.ts";
import { PGT } from "./page-info.ts";


const SEG_P = 1 << 15, SEG_S = 1 << 12, SEG_DPL = 3 << 13, SEG_TYPE = 0xf00, SEG_L = 1 << 21, SEG_G = 1 << 23;

/** A loaded segment: what the core's hidden descriptor cache holds. */
export interface Segment { sel: number; base: number; limit: number; /** descriptor bits 40-55 >> 8 */ attr: number }

export function descBase(a: number, b: number): number { return ((b & 0xff000000) | ((b & 0xff) << 16) | (a >>> 16)) >>> 0; }
/** Limit in bytes, granularity applied. */
export function descLimit(a: number, b: number): number {
  const raw = (b & 0xf0000) | (a & 0xffff);
  return b & SEG_G ? ((raw * 4096) + 0xfff) >>> 0 : raw;
}

/**
 * check_descriptor: validate descriptor (a = low word, b = high word) for a 32-bit PV guest.
 * Returns the rewritten descriptor, or null when it must be refused.
 */
export function checkDescriptor(d: Domain, a: number, b: number): [number, number] | null {
  a >>>= 0; b >>>= 0;
  const original: [number, number] = [a, b];
  // A not-present descriptor always faults, so it is safe as it is.
  if (!(b & SEG_P)) return original;
  // DPL 0 becomes 1 (__fixup_guest_selector: the guest kernel runs in ring 1).
  let dpl = (b >>> 13) & 3;
  if (dpl === 0) dpl = 1;
  b = ((b & ~SEG_DPL) | (dpl << 13)) >>> 0;
  if (b & SEG_S) {
    // Code and data segments (x86_32 Xen's rule, which xenolith keeps for both layouts: ring 1 is
    // a supervisor level for paging, so only segment limits keep it out of the hypervisor's pages).
    if (b & SEG_L) return null;
    const base = descBase(a, b);
    const end = d.segmentEnd;
    if ((b & 0xc00) === 0x400) {
      // Expand-down data: its valid offsets run up to 4 GiB, so it always reaches the hypervisor
      // area; refused rather than rewritten (a documented simplification).
      return null;
    }
    const limitPlus1 = descLimit(a, b) + 1;
    if (base + limitPlus1 > end) {
      // Truncate the limit to end where the guest's segments must end; byte-granular segments
      // that far up are refused ("too dangerous").
      if (!(b & SEG_G) || base >= end) return null;
      const raw = Math.floor((end - base) / 4096) - 1;
      a = ((a & 0xffff0000) | (raw & 0xffff)) >>> 0;
      b = ((b & ~0xf0000) | (raw & 0xf0000)) >>> 0;
    }
    return [a, b];
  }
  // System descriptors: type 0 is harmless (the second half of a call gate).
  if ((b & SEG_TYPE) === 0) return original;
  // Everything but a 32-bit call gate is refused (TSS, LDT, interrupt/trap/task gates).
  if ((b & SEG_TYPE) !== 0xc00) return null;
  let cs = a >>> 16;
  if (!gateSelectorOkay(cs)) return null;
  // The gate gets DPL 0, so using it raises #GP with the gate's selector for emulation; the
  // original DPL is kept in the target selector's RPL.
  b = (b & ~SEG_DPL) >>> 0;
  cs = (cs & ~3) | dpl;
  a = ((a & 0xffff) | (cs << 16)) >>> 0;
  // Reserved bits (parameter count high bits) must be zero.
  if (b & 0xe0) return null;
  return [a, b];
}

/** guest_gate_selector_okay: a guest GDT selector, an LDT selector, or the flat ring-1 CS. */
function gateSelectorOkay(sel: number): boolean {
  return (sel >>> 3) < FIRST_RESERVED_GDT_ENTRY || (sel & 4) !== 0 || sel === FLAT_RING1_CS;
}

/** The hypervisor's flat segments (its reserved GDT page): base 0, ending where the M2P ends. */
const FLAT_ATTR: Record<number, number> = { [FLAT_RING1_CS]: 0xc0bb, [FLAT_RING1_DS]: 0xc0b3, [FLAT_RING3_CS]: 0xc0fb, [FLAT_RING3_DS]: 0xc0f3 };
export function flatSegment(d: Domain, sel: number): Segment | null {
  const attr = FLAT_ATTR[sel];
  return attr === undefined ? null : { sel, base: 0, limit: d.segmentEnd - 1, attr };
}

/**
 * The raw descriptor (low word, high word) `sel` names, as Xen reads it through its per-domain GDT
 * and LDT mappings (gdt_ldt_desc_ptr): the guest's GDT below its entry count, Xen's flat
 * descriptors in the reserved page, the guest's LDT below its entry count. Null for a selector
 * whose slot Xen could not read (past the guest's GDT, or an LDT entry past the LDT).
 */
export function readDescriptor(d: Domain, sel: number): [number, number] | null {
  const index = (sel & 0xffff) >>> 3;
  if (sel & 4) return ldtEntry(d, index);
  if (index >= FIRST_RESERVED_GDT_ENTRY) {
    // Xen's own flat descriptors; the rest of its reserved page holds nothing a selector can use.
    const flat = Object.keys(FLAT_ATTR).map(Number).find((k) => (k & 0xfff8) === (sel & 0xfff8));
    if (flat === undefined) return [0, 0];
    const attr = FLAT_ATTR[flat];
    const raw = (d.segmentEnd >>> 12) - 1;
    return [raw & 0xffff, ((attr << 8) | (raw & 0xf0000)) >>> 0];
  }
  return guestGdtEntry(d, index);
}

/** The guest's LDT entry `index` (through the shadow window, mapping its page: ldt.ts). */
function ldtEntry(d: Domain, index: number): [number, number] | null {
  return ldtDescriptor(d, index);
}

/** Read GDT entry `index` of the guest's own GDT (set_gdt frames), or null past its end. */
function guestGdtEntry(d: Domain, index: number): [number, number] | null {
  const v = d.vcpu;
  if (index >= v.gdtEntries) return null;
  const mfn = v.gdtFrames[index >>> 9];
  const ma = mfn * 4096 + (index & 511) * 8;
  const dv = d.machine.core.dv, at = d.ramBase + ma;
  return [dv.getUint32(at, true), dv.getUint32(at + 4, true)];
}

/**
 * Resolve `sel` for loading into CS (code) or a data/stack register at privilege `rpl`, with the
 * checks the CPU makes on that load (SDM Vol. 3, 5.6–5.8): null for a selector that would fault.
 */
export function loadSelector(d: Domain, sel: number, kind: "cs" | "ss" | "data"): Segment | null {
  sel &= 0xffff;
  if ((sel & 0xfffc) === 0) return kind === "data" ? { sel, base: 0, limit: 0, attr: 0 } : null;
  const index = sel >>> 3;
  let seg: Segment | null;
  if (sel & 4) {
    const e = ldtDescriptor(d, index);
    if (!e) return null;
    seg = { sel, base: descBase(e[0], e[1]), limit: descLimit(e[0], e[1]), attr: (e[1] >>> 8) & 0xf0ff };
  } else if (index >= FIRST_RESERVED_GDT_ENTRY) seg = flatSegment(d, sel);
  else {
    const e = guestGdtEntry(d, index);
    if (!e) return null;
    const [a, b] = e;
    seg = { sel, base: descBase(a, b), limit: descLimit(a, b), attr: (b >>> 8) & 0xf0ff };
  }
  if (!seg) return null;
  const attr = seg.attr, rpl = sel & 3, dpl = (attr >> 5) & 3;
  const present = (attr & 0x80) !== 0, s = (attr & 0x10) !== 0, code = (attr & 8) !== 0;
  if (!present || !s) return null;
  if (kind === "cs") {
    // A return to outer-or-same ring: non-conforming code needs DPL == RPL; never ring 0.
    if (!code || rpl === 0) return null;
    const conforming = (attr & 4) !== 0;
    if (conforming ? dpl > rpl : dpl !== rpl) return null;
  } else if (kind === "ss") {
    if (code || !(attr & 2) || dpl !== rpl) return null;
  } else if (code && !(attr & 2)) return null;
  return seg;
}

/** HYPERVISOR_set_gdt(frame_list, entries) */
export function setGdt(d: Domain, frameList: number, entries: number): number {
  entries >>>= 0;
  if (entries > FIRST_RESERVED_GDT_ENTRY) return -ERRNO.EINVAL;
  const nrFrames = Math.ceil(entries / 512);
  const frames = d.mem.readU32s(frameList, nrFrames); // GuestFault → -EFAULT
  // pv_set_gdt: every frame must be the domain's and take the descriptor-page type — refused
  // while it is mapped writable, or a page table; validated on the way in (every descriptor
  // checked, rewritten in place: alloc_segdesc_page). Nothing changes unless all frames do.
  const pages = d.paging.pages;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as Mfn;
    if (f >= pages.frameCount || pages.getPageAndType(f, d.domid, PGT.seg_desc) !== 0) {
      for (let j = 0; j < i; j++) pages.putPageAndType(frames[j] as Mfn);
      return -ERRNO.EINVAL;
    }
  }
  // pv_destroy_gdt: the old frames' references go.
  for (const f of d.vcpu.gdtFrames) pages.putPageAndType(f as Mfn);
  // Map the frames where the core's GDTR looks (the per-domain area); unmap the old ones.
  for (let page = 0; page < FIRST_RESERVED_GDT_ENTRY / 512; page++) d.hvArea?.mapGdtFrame(page, frames[page]);
  d.vcpu.gdtFrames = frames;
  d.vcpu.gdtEntries = entries;
  syncGdt(d);
  d.flushTlb();
  return 0;
}

/** HYPERVISOR_update_descriptor(ma_lo, ma_hi, desc_lo, desc_hi) */
export function updateDescriptor(d: Domain, maLo: number, maHi: number, lo: number, hi: number): number {
  // The address must be 8-byte aligned, or it would corrupt adjacent descriptors.
  if ((maLo & 7) !== 0 || maHi !== 0) return -ERRNO.EINVAL;
  const ok = checkDescriptor(d, lo, hi);
  if (!ok) return -ERRNO.EINVAL;
  // Xen takes a guest frame number here (gaddr_to_gfn); for a PV guest gfn == mfn. The frame
  // must be the domain's and either a descriptor page or able to take a writable type (not a
  // page table): do_update_descriptor.
  const mfn = (maLo >>> 12) as Mfn, pages = d.paging.pages;
  if (mfn >= pages.frameCount || !pages.getPage(mfn, d.domid)) return -ERRNO.EINVAL;
  const type = pages.typeOf(mfn) === PGT.seg_desc ? PGT.seg_desc : PGT.writable;
  if (pages.getPageType(mfn, type) !== 0) {
    pages.putPage(mfn);
    return -ERRNO.EINVAL;
  }
  d.writeMachineU64(maLo >>> 0, ok[0], ok[1]);
  pages.putPageAndType(mfn);
  return 0;
}
