// The software TLB: one u32 per linear page number (lpn), `machine page << 12 | TLB_* flags`,
// 0 = no translation. A hit costs one load and one masked compare against the rights the access
// needs (v86's scheme). Entries stay until INVLPG, a CR3 write (non-global entries) or a flush,
// so a stale translation stays visible exactly as on the real CPU (SDM Vol. 3, 4.10.4).
import {
  TLB_BASE, TLB_SIZE, TLB_VALID_LIST_BASE, TLB_VALID_LIST_SIZE, S_TLB_VALID_COUNT, S_TLB_FLUSHES,
  S_CPL,
} from "../layout";

/** present and backed by RAM: the fast paths may use it */
export const TLB_VALID: u32 = 1 << 0;
/** user-mode (CPL 3) reads allowed */
export const TLB_USER: u32 = 1 << 1;
/** supervisor writes allowed and the dirty bit is already set */
export const TLB_WRITE_SUP: u32 = 1 << 2;
/** user writes allowed and the dirty bit is already set */
export const TLB_WRITE_USER: u32 = 1 << 3;
/** the machine page holds no decoded code: stores need no invalidation */
export const TLB_NOCODE: u32 = 1 << 4;
/** global page (CR4.PGE): survives CR3 writes */
export const TLB_GLOBAL: u32 = 1 << 5;
/** execute-disable (PAE NX with EFER.NXE) */
export const TLB_NX: u32 = 1 << 6;
/** part of a 4 MiB or 2 MiB page: INVLPG of any address in that page must drop it */
export const TLB_LARGE: u32 = 1 << 7;

const VALID_MAX: u32 = TLB_VALID_LIST_SIZE >> 2;

/** Rights a read / write needs at the current CPL (refreshed by refreshAccessRights). */
export let readNeed: u32 = TLB_VALID;
export let writeNeed: u32 = TLB_VALID | TLB_WRITE_SUP | TLB_NOCODE;
/** set when the valid list overflowed: flushes must scan the whole TLB */
let overflowed: bool = false;
/** set once a large-page translation is cached (cleared by a full flush) */
let largeCached: bool = false;

/** Recompute the cached rights after a CPL change. Rings 0-2 are supervisor (SDM Vol. 3, 4.6). */
export function refreshAccessRights(): void {
  if (load<u32>(S_CPL) == 3) {
    readNeed = TLB_VALID | TLB_USER;
    writeNeed = TLB_VALID | TLB_USER | TLB_WRITE_USER | TLB_NOCODE;
  } else {
    readNeed = TLB_VALID;
    writeNeed = TLB_VALID | TLB_WRITE_SUP | TLB_NOCODE;
  }
}

@inline export function tlbEntry(lpn: u32): u32 { return load<u32>(lpn << 2, TLB_BASE); }

export function tlbInsert(lpn: u32, entry: u32): void {
  if (entry & TLB_LARGE) largeCached = true;
  if (tlbEntry(lpn) == 0) {
    const n = load<u32>(S_TLB_VALID_COUNT);
    if (n < VALID_MAX) {
      store<u32>(n << 2, lpn, TLB_VALID_LIST_BASE);
      store<u32>(S_TLB_VALID_COUNT, n + 1);
    } else {
      overflowed = true;
    }
  }
  store<u32>(lpn << 2, entry, TLB_BASE);
}

/**
 * INVLPG: drop the translation of one linear page (global or not). The TLB holds large pages as
 * 4 KiB pieces, and INVLPG invalidates the whole large page that holds the address (SDM Vol. 3,
 * 4.10.4.1), so large-page pieces in the surrounding 4 MiB are dropped too (dropping more than
 * needed is always allowed: the TLB may forget any entry at any time).
 */
export function tlbInvalidatePage(lpn: u32): void {
  store<u32>(lpn << 2, 0, TLB_BASE);
  if (!largeCached) return;
  const first = lpn & ~0x3FF;
  for (let p = first; p < first + 0x400; p++) {
    if (tlbEntry(p) & TLB_LARGE) store<u32>(p << 2, 0, TLB_BASE);
  }
}

/** Drop every translation, keeping global ones when `keepGlobal` (a CR3 write with CR4.PGE). */
export function tlbFlush(keepGlobal: bool): void {
  store<u64>(S_TLB_FLUSHES, load<u64>(S_TLB_FLUSHES) + 1);
  if (!keepGlobal) largeCached = false;
  if (overflowed) {
    overflowed = false;
    store<u32>(S_TLB_VALID_COUNT, 0);
    if (!keepGlobal) { memory.fill(TLB_BASE, 0, TLB_SIZE); return; }
    for (let lpn: u32 = 0; lpn < (TLB_SIZE >> 2); lpn++) {
      const e = tlbEntry(lpn);
      if (e == 0) continue;
      if (e & TLB_GLOBAL) tlbReinsertKept(lpn); else store<u32>(lpn << 2, 0, TLB_BASE);
    }
    return;
  }
  const n = load<u32>(S_TLB_VALID_COUNT);
  let kept: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    const lpn = load<u32>(i << 2, TLB_VALID_LIST_BASE);
    const e = tlbEntry(lpn);
    if (e == 0) continue;
    if (keepGlobal && (e & TLB_GLOBAL)) {
      store<u32>(kept << 2, lpn, TLB_VALID_LIST_BASE);
      kept++;
    } else {
      store<u32>(lpn << 2, 0, TLB_BASE);
    }
  }
  store<u32>(S_TLB_VALID_COUNT, kept);
}

function tlbReinsertKept(lpn: u32): void {
  const n = load<u32>(S_TLB_VALID_COUNT);
  if (n < VALID_MAX) {
    store<u32>(n << 2, lpn, TLB_VALID_LIST_BASE);
    store<u32>(S_TLB_VALID_COUNT, n + 1);
  } else {
    overflowed = true;
  }
}

/** A machine page became a code page: stores through any cached translation must take the slow path. */
export function tlbClearNoCode(mpn: u32): void {
  const n = load<u32>(S_TLB_VALID_COUNT);
  if (overflowed) {
    for (let lpn: u32 = 0; lpn < (TLB_SIZE >> 2); lpn++) {
      const e = tlbEntry(lpn);
      if (e != 0 && (e >>> 12) == mpn) store<u32>(lpn << 2, e & ~TLB_NOCODE, TLB_BASE);
    }
    return;
  }
  for (let i: u32 = 0; i < n; i++) {
    const lpn = load<u32>(i << 2, TLB_VALID_LIST_BASE);
    const e = tlbEntry(lpn);
    if (e != 0 && (e >>> 12) == mpn) store<u32>(lpn << 2, e & ~TLB_NOCODE, TLB_BASE);
  }
}
