// Guest memory as the PV hypervisor reaches it from the core's fast paths: the same rules as
// src/hv/guest-memory.ts (Xen's copy_to_guest / copy_from_guest), so that a bounce or an iret
// done here touches exactly what the host's would. A linear address in the guest's current
// address space goes through the guest's own page tables with the guest kernel's rights: ring 1 is
// supervisor and CR0.WP is always on, so every level must be present, and writable for a write;
// the PAE L3 is walked like any other level; an entry mapping above 4 GiB, an entry or a page
// outside RAM, and a range reaching the hypervisor area (PV_HV_START) or wrapping are faults.
// Accessed bits (and dirty for writes, on the last level) are set as the walk goes. Nothing is
// raised: a fault is NO_MA and the caller leaves the whole job to the host, which reports it.
// No TLB entry is made (the host's walk makes none either).
import { RAM_BASE, S_CR0, S_CR3, S_CR4, S_PV_HV_START } from "../layout";
import { inRam, physRead8, physRead32, physWrite8, physWrite32 } from "../mmu/phys";
import { CR0_PG, CR4_PAE, CR4_PSE, NO_MA } from "../mmu/walk";

const P: u32 = 1, RW: u32 = 2, A: u32 = 0x20, D: u32 = 0x40, PS: u32 = 0x80;
/** when a level counts as the last one (dirty bit on writes) */
const LEAF_NEVER: u32 = 0, LEAF_IF_PS: u32 = 1, LEAF_IF_PS_PSE: u32 = 2, LEAF_ALWAYS: u32 = 3;
const BAD: u64 = 0xFFFFFFFFFFFFFFFF;

/** One level of the walk: the entry's low word, or BAD. */
function level(ma: u32, wide: bool, write: bool, leaf: u32, cr4: u32): u64 {
  if (!inRam(ma, wide ? 8 : 4)) return BAD;
  let e = load<u32>(ma, RAM_BASE);
  if (wide && (load<u32>(ma + 4, RAM_BASE) & 0x7FFFFFFF) != 0) return BAD; // maps above 4 GiB
  if (!(e & P)) return BAD;
  if (write && !(e & RW)) return BAD;
  const last = leaf == LEAF_ALWAYS || (leaf == LEAF_IF_PS && (e & PS) != 0) ||
    (leaf == LEAF_IF_PS_PSE && (e & PS) != 0 && (cr4 & CR4_PSE) != 0);
  const set = A | (write && last ? D : 0);
  if ((e & set) != set) { e |= set; store<u32>(ma, e, RAM_BASE); }
  return <u64>e;
}

/** Machine address of `lin` for a guest-kernel access, or NO_MA (GuestMemory.translate). */
export function guestTranslate(lin: u32, write: bool): u32 {
  if (lin >= load<u32>(S_PV_HV_START)) return NO_MA;
  if (!(load<u32>(S_CR0) & CR0_PG)) return lin;
  const cr4 = load<u32>(S_CR4), cr3 = load<u32>(S_CR3);
  if (cr4 & CR4_PAE) {
    const l3 = level((cr3 & ~0x1F) + (lin >>> 30) * 8, true, write, LEAF_NEVER, cr4);
    if (l3 == BAD) return NO_MA;
    const l2 = level((u32(l3) & ~0xFFF) + ((lin >>> 21) & 511) * 8, true, write, LEAF_IF_PS, cr4);
    if (l2 == BAD) return NO_MA;
    if (u32(l2) & PS) return (u32(l2) & 0xFFE00000) + (lin & 0x1FFFFF);
    const l1 = level((u32(l2) & ~0xFFF) + ((lin >>> 12) & 511) * 8, true, write, LEAF_ALWAYS, cr4);
    if (l1 == BAD) return NO_MA;
    return (u32(l1) & ~0xFFF) + (lin & 0xFFF);
  }
  const pde = level((cr3 & ~0xFFF) + (lin >>> 22) * 4, false, write, LEAF_IF_PS_PSE, cr4);
  if (pde == BAD) return NO_MA;
  if ((u32(pde) & PS) && (cr4 & CR4_PSE)) return (u32(pde) & 0xFFC00000) + (lin & 0x3FFFFF);
  const pte = level((u32(pde) & ~0xFFF) + ((lin >>> 12) & 1023) * 4, false, write, LEAF_ALWAYS, cr4);
  if (pte == BAD) return NO_MA;
  return (u32(pte) & ~0xFFF) + (lin & 0xFFF);
}

/** The range [lin, lin+len) ends at or below the hypervisor area (compat access_ok). */
@inline function rangeOk(lin: u32, len: u32): bool {
  return <u64>lin + <u64>len <= <u64>load<u32>(S_PV_HV_START);
}

/** Machine addresses of the (at most two) pages of a range, each checked as the host checks it. */
let ma0: u32 = 0;
let ma1: u32 = 0;
let split: u32 = 0;

function pages(lin: u32, len: u32, write: bool): bool {
  if (!rangeOk(lin, len)) return false;
  const first: u32 = 0x1000 - (lin & 0xFFF);
  split = len <= first ? len : first;
  ma0 = guestTranslate(lin, write);
  if (ma0 == NO_MA || !inRam(ma0, split)) return false;
  if (split == len) return true;
  ma1 = guestTranslate(lin + split, write);
  return ma1 != NO_MA && inRam(ma1, len - split);
}

/** Scratch words for guestWriteU32s / guestReadU32s (a bounce frame has at most 7). */
export const words = new StaticArray<u32>(8);

/** copy_to_guest of words[0..count) at `lin`; false (nothing written) when the host would fault. */
export function guestWriteU32s(lin: u32, count: u32): bool {
  const len = count << 2;
  if (!pages(lin, len, true)) return false;
  if (split == len) {
    for (let i: u32 = 0; i < count; i++) physWrite32(ma0 + (i << 2), unchecked(words[i]));
    return true;
  }
  for (let i: u32 = 0; i < len; i++) {
    const b = (unchecked(words[i >>> 2]) >>> ((i & 3) << 3)) & 0xFF;
    physWrite8(i < split ? ma0 + i : ma1 + (i - split), b);
  }
  return true;
}

/** copy_from_guest of `count` words at `lin` into words[0..count); false when the host would fault. */
export function guestReadU32s(lin: u32, count: u32): bool {
  const len = count << 2;
  if (!pages(lin, len, false)) return false;
  if (split == len) {
    for (let i: u32 = 0; i < count; i++) unchecked(words[i] = physRead32(ma0 + (i << 2)));
    return true;
  }
  for (let i: u32 = 0; i < count; i++) unchecked(words[i] = 0);
  for (let i: u32 = 0; i < len; i++) {
    const b = physRead8(i < split ? ma0 + i : ma1 + (i - split));
    unchecked(words[i >>> 2] |= b << ((i & 3) << 3));
  }
  return true;
}

/** How many of the `len` bytes at `lin` the host could read one at a time (stops at the first fault). */
export function guestReadable(lin: u32, len: u32): u32 {
  let n: u32 = 0;
  while (n < len) {
    const at = lin + n;
    if (at < lin || !rangeOk(at, 1)) return n;
    const ma = guestTranslate(at, false);
    if (ma == NO_MA || !inRam(ma, 1)) return n;
    const inPage: u32 = 0x1000 - (at & 0xFFF);
    n += inPage < len - n ? inPage : len - n;
  }
  return len;
}

/** The byte at `lin` (call only after guestReadable said it is readable). */
export function guestByte(lin: u32): u32 { return physRead8(guestTranslate(lin, false)); }
