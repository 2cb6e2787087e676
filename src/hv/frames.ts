// Machine frames: who owns each frame of the emulator's RAM, and handing frames out.
//
// A PV guest sees machine frame numbers (its page tables hold them), so they must look like a
// real machine's: not equal to the guest's pseudo-physical frames and not contiguous. Free frames
// are kept in a pool shuffled once, deterministically, from a seed (Fisher-Yates driven by a
// 32-bit PRNG), so the same seed gives the same machine layout run after run. Frames freed later
// go back on top of the pool and are handed out again first.
//
// Accounting follows Xen's struct domain: `tot_pages` (current) may not exceed `max_pages`
// (maximum); allocation past it fails, as assign_pages() refuses over-allocation. Xen-heap frames
// (shared_info, the hypervisor's own tables) have an owner but do not count against it.
// Page types and reference counts of each frame are page-info.ts's, not this file's.
import { DOMID_XEN } from "./abi.ts";
import { type Mfn, mfn as asMfn, hex } from "./addr.ts";

/** Owner value of a frame in the free pool. */
export const OWNER_FREE = 0xffff;

/** Frame flags. */
const F_XEN_HEAP = 1;

export class FrameError extends Error {}

interface Account {
  current: number;
  max: number;
}

/** mulberry32: a small, well-mixed 32-bit PRNG; the shuffle only needs determinism. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export const DEFAULT_FRAME_SEED = 0x58656e21; // "Xen!"

export class MachineFrames {
  /** number of machine frames (RAM bytes / 4096) */
  readonly count: number;
  private readonly owners: Uint16Array;
  private readonly flags: Uint8Array;
  /** the free pool, a stack: pool[0 .. poolTop) */
  private readonly pool: Uint32Array;
  private poolTop: number;
  private readonly accounts = new Map<number, Account>();
  /**
   * Called for every frame returning to the pool (free_heap_pages): the hypervisor scrubs it and
   * invalidates its M2P entry (xen-run.ts installs it).
   */
  onFree?: (f: Mfn) => void;

  constructor(count: number, seed = DEFAULT_FRAME_SEED) {
    if (!Number.isInteger(count) || count <= 0 || count > 1 << 20) throw new FrameError(`bad machine frame count ${count}`);
    this.count = count;
    this.owners = new Uint16Array(count).fill(OWNER_FREE);
    this.flags = new Uint8Array(count);
    this.pool = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.pool[i] = i;
    const rand = prng(seed);
    for (let i = count - 1; i > 0; i--) {
      const j = rand() % (i + 1);
      const t = this.pool[i]; this.pool[i] = this.pool[j]; this.pool[j] = t;
    }
    this.poolTop = count;
  }

  /** Frames in the free pool. */
  get freeCount(): number { return this.poolTop; }

  /** Set a domain's maximum allocation (XEN_DOMCTL_max_mem); creates its account. */
  setMax(domid: number, maxFrames: number): void {
    const a = this.accounts.get(domid);
    if (a) a.max = maxFrames;
    else this.accounts.set(domid, { current: 0, max: maxFrames });
  }
  /** Frames the domain holds (Xen's tot_pages); xen-heap frames are not counted. */
  current(domid: number): number { return this.accounts.get(domid)?.current ?? 0; }
  max(domid: number): number { return this.accounts.get(domid)?.max ?? 0; }

  owner(f: Mfn): number {
    this.check(f);
    return this.owners[f];
  }
  isFree(f: Mfn): boolean { return this.owner(f) === OWNER_FREE; }
  isXenHeap(f: Mfn): boolean { this.check(f); return (this.flags[f] & F_XEN_HEAP) !== 0; }

  /**
   * Take one frame from the pool for `domid`, counted against its maximum. Returns undefined when
   * the domain is at its maximum or the pool is empty (Xen: -ENOMEM).
   */
  alloc(domid: number): Mfn | undefined {
    const a = this.accounts.get(domid);
    if (!a) throw new FrameError(`domain ${domid} has no allocation account (setMax first)`);
    if (a.current >= a.max || this.poolTop === 0) return undefined;
    const f = this.pool[--this.poolTop];
    this.owners[f] = domid;
    this.flags[f] = 0;
    a.current++;
    return asMfn(f);
  }

  /**
   * alloc_domheap_pages(d, order): 2^order contiguous frames starting at a multiple of 2^order
   * (a buddy block), all below `limit` (MEMF_bits), counted against the maximum. Order 0 takes the
   * top of the pool like alloc; a larger order takes the highest fitting free run. Undefined when
   * the domain would exceed its maximum or no such run is free (Xen: the allocation fails).
   */
  allocExtent(domid: number, order: number, limit: number = this.count): Mfn | undefined {
    const a = this.accounts.get(domid);
    if (!a) throw new FrameError(`domain ${domid} has no allocation account (setMax first)`);
    const n = 2 ** order;
    if (a.current + n > a.max) return undefined;
    if (order === 0 && limit >= this.count) return this.alloc(domid);
    const top = Math.min(limit, this.count);
    for (let start = Math.floor((top - n) / n) * n; start >= 0; start -= n) {
      let free = true;
      for (let f = start; f < start + n && free; f++) free = this.owners[f] === OWNER_FREE;
      if (!free) continue;
      for (let f = start; f < start + n; f++) {
        this.owners[f] = domid;
        this.flags[f] = 0;
      }
      this.dropFromPool(start, n);
      a.current += n;
      return asMfn(start);
    }
    return undefined;
  }

  /** `n` frames for `domid`, all or none. */
  allocMany(domid: number, n: number): Mfn[] | undefined {
    const a = this.accounts.get(domid);
    if (!a) throw new FrameError(`domain ${domid} has no allocation account (setMax first)`);
    if (a.current + n > a.max || this.poolTop < n) return undefined;
    const out: Mfn[] = [];
    for (let i = 0; i < n; i++) out.push(this.alloc(domid)!);
    return out;
  }

  /**
   * A xen-heap frame: owned by `owner` (DOMID_XEN for the hypervisor's own, or the domain it is
   * shared with, like shared_info) but not counted in any domain's allocation.
   */
  allocXenHeap(owner: number = DOMID_XEN): Mfn {
    if (this.poolTop === 0) throw new FrameError("out of machine frames for the hypervisor");
    const f = this.pool[--this.poolTop];
    this.owners[f] = owner;
    this.flags[f] = F_XEN_HEAP;
    return asMfn(f);
  }

  /**
   * `n` contiguous frames starting at a multiple of `align` frames, for the hypervisor (the M2P
   * table is mapped with superpages, so its frames must be contiguous and aligned). Takes the
   * highest such run that is entirely free.
   */
  reserveContiguous(n: number, align: number, owner: number = DOMID_XEN): Mfn {
    for (let start = Math.floor((this.count - n) / align) * align; start >= 0; start -= align) {
      let free = true;
      for (let f = start; f < start + n && free; f++) free = this.owners[f] === OWNER_FREE;
      if (!free) continue;
      for (let f = start; f < start + n; f++) {
        this.owners[f] = owner;
        this.flags[f] = F_XEN_HEAP;
      }
      this.dropFromPool(start, n);
      return asMfn(start);
    }
    throw new FrameError(`no ${n} free contiguous machine frames aligned to ${align} frames`);
  }

  /**
   * Take one particular free frame out of the pool (a hand-built machine whose frames are placed
   * by its author, not by the shuffle): for `owner`, counted against its maximum unless xen-heap.
   */
  claim(f: Mfn, owner: number, xenHeap = false): void {
    this.check(f);
    if (this.owners[f] !== OWNER_FREE) throw new FrameError(`machine frame ${hex(f)} is not free`);
    if (!xenHeap) {
      const a = this.accounts.get(owner);
      if (!a) throw new FrameError(`domain ${owner} has no allocation account (setMax first)`);
      if (a.current >= a.max) throw new FrameError(`domain ${owner} is at its maximum allocation`);
      a.current++;
    }
    const at = this.pool.subarray(0, this.poolTop).indexOf(f);
    this.pool.copyWithin(at, at + 1, this.poolTop--);
    this.owners[f] = owner;
    this.flags[f] = xenHeap ? F_XEN_HEAP : 0;
  }

  /** Drop the run [start, start + n) from the pool, keeping the pool's order otherwise. */
  private dropFromPool(start: number, n: number): void {
    let w = 0;
    for (let r = 0; r < this.poolTop; r++) {
      const f = this.pool[r];
      if (f < start || f >= start + n) this.pool[w++] = f;
    }
    this.poolTop = w;
  }

  /** Give a frame back to the pool. The caller has dropped every use of it (page-info.ts). */
  free(f: Mfn): void {
    this.check(f);
    const owner = this.owners[f];
    if (owner === OWNER_FREE) throw new FrameError(`machine frame ${hex(f)} freed twice`);
    if (!(this.flags[f] & F_XEN_HEAP)) {
      const a = this.accounts.get(owner);
      if (a) a.current--;
    }
    this.owners[f] = OWNER_FREE;
    this.flags[f] = 0;
    this.pool[this.poolTop++] = f;
    this.onFree?.(asMfn(f));
  }

  /** Every frame `domid` owns, in machine order. */
  framesOf(domid: number): Mfn[] {
    const out: Mfn[] = [];
    for (let f = 0; f < this.count; f++) if (this.owners[f] === domid) out.push(asMfn(f));
    return out;
  }

  private check(f: number): void {
    if (!Number.isInteger(f) || f < 0 || f >= this.count) throw new FrameError(`machine frame ${hex(f)} is outside RAM (${this.count} frames)`);
  }
}
