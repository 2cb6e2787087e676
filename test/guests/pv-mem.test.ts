// The PV memory guests (guests/pv/balloon.c, ...) beyond their own checks: what the hypervisor's
// state says after them — the domain's allocation, page_info, the M2P, the free pool, --stats.
// (test/guests/pv.test.ts runs every built guest for its verdict.)
import { describe, it, expect } from "vitest";
import { runGuest } from "../helpers/pv-guest.ts";
import { INVALID_GPFN, mfn } from "../../src/hv/addr.ts";

describe("balloon guest", () => {
  it.each(["balloon-pae", "balloon-classic"])("%s: frames moved out and back in, the hypervisor's books agree", (name) => {
    const r = runGuest(name, { nrPages: 4096 });
    expect(r.status, r.out).toBe(0);
    const mm = r.d.machineMemory!;
    // 16 single frames + one order-1 pair given back; 8 + 6 + 2 + 1 taken.
    expect(r.d.stats.balloonOut).toBe(18);
    expect(r.d.stats.balloonIn).toBe(17);
    expect(mm.frames.current(r.d.domid)).toBe(4096 - 1);
    expect(mm.frames.max(r.d.domid)).toBe(4096);
    // Every frame the domain owns holds its allocation reference; every freed one is free, scrubbed
    // and has no M2P entry.
    // (xen-heap frames shared with the domain, like shared_info, are allocated but not counted)
    const owned = mm.frames.framesOf(r.d.domid).filter((f) => mm.pageInfo.isAllocated(f) && !mm.frames.isXenHeap(f));
    expect(owned.length).toBe(4096 - 1);
    for (const f of owned) expect(r.d.ownsMfn(f)).toBe(true);
    expect(r.d.stats.toJSON()).toMatchObject({ balloonFramesIn: 17, balloonFramesOut: 18 });
  });

  it.each(["balloon-pae", "balloon-classic"])("%s: reservations preempted every 3 extents continue to the same result", (name) => {
    const r = runGuest(name, { setup: (d) => { d.preempt.limit = 3; } });
    expect(r.status, r.out).toBe(0);
    // 16 extents out, 8 and 6 in: continued 5 + 2 + 1 times (no other call here is batched)
    expect(r.d.preempt.continuations).toBe(8);
    expect(r.d.stats.balloonOut).toBe(18);
    expect(r.d.stats.balloonIn).toBe(17);
  });

  it("frames given back return to the pool, scrubbed, and are handed out again", () => {
    const r = runGuest("balloon-pae", { nrPages: 4096 });
    expect(r.status, r.out).toBe(0);
    const { frames, m2p, pageInfo } = r.d.machineMemory!;
    // The pool is a stack: the next frame handed out is the last one the guest gave back (the
    // first frame of the order-1 pair): free until now, without an M2P entry, scrubbed.
    const g = frames.allocExtent(r.d.domid, 0)!;
    expect(g).toBeDefined();
    expect(m2p.get(g)).toBe(INVALID_GPFN);
    expect(pageInfo.refCount(g)).toBe(0);
    const bytes = r.d.machine.readPhys(g * 4096, 4096);
    expect(bytes.every((b: number) => b === 0)).toBe(true);
    // The guest wrote 0xa5 over every page it gave back, so a zero page is a scrubbed one — unless
    // it was never used: check it was the domain's once (its neighbour, the pair's second frame,
    // was populated again by the guest's last call and sits in its M2P).
    expect(m2p.get(mfn(g + 1))).not.toBe(INVALID_GPFN);
    expect(frames.owner(mfn(g))).toBe(r.d.domid);
  });
});

describe("ptwr guest (writable page tables)", () => {
  it.each(["ptwr-pae", "ptwr-classic"])("%s: each store to its L1 was one emulation; every refused one a bounced #PF", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    // classic: MOV, XCHG, AND, BTS, BTR, OR, MOV (16 bits), CMPXCHG (replaced), CMPXCHG (stale),
    // CMPXCHG (back); PAE: the same without the last, plus CMPXCHG8B and three 4-byte stores
    // (the high-half fix-up and the pair)
    expect(r.d.stats.ptwrEmulations).toBe(name.endsWith("-pae") ? 13 : 10);
    // one #PF before the assist, seven refused stores, one after it was disabled
    expect(Object.fromEntries(r.d.stats.bounces)).toEqual({ 14: 9 });
    expect(r.d.stats.toJSON()).toMatchObject({ writablePagetableEmulations: r.d.stats.ptwrEmulations });
  });
});

/** The attack guest's attempts and the result Xen gives each (arch/x86/mm.c; -errno or extents). */
const EBUSY = -16, EPERM = -1, EINVAL = -22;
const ATTACKS: [string, number][] = [
  ["update_va_mapping: the L1 mapped writable", EBUSY],
  ["update_va_mapping: the top-level table mapped writable", EBUSY],
  ["mmu_update: the L1 mapped writable", EBUSY],
  ["update_va_mapping: the M2P's machine frame (read-only)", EBUSY],
  ["update_va_mapping: the hypervisor's per-domain L1 frame", EBUSY],
  ["update_va_mapping: a frame beyond RAM", EPERM],
  ["update_va_mapping: a frame given back (free)", EBUSY],
  ["mmu_update: MMU_MACHPHYS_UPDATE of the M2P's frame", EINVAL],
  ["mmu_update: a write into the M2P's frame", EINVAL],
  ["update_va_mapping at HYPERVISOR_VIRT_START", EINVAL],
  ["mmu_update: an L2 entry in Xen's slots", EPERM],
  ["mmu_update: PAE L3 slot 3", EINVAL],
  ["mmu_update: recursive L2 entry (the L2 itself, writable)", EINVAL],
  ["mmu_update: L2 entry to a data page mapped writable (not an L1)", EINVAL],
  ["mmu_update: L3 entry to an L1 (wrong level)", EINVAL],
  ["mmu_update: L2 superpage entry (PSE)", EINVAL],
  ["MMUEXT_PIN_L1_TABLE of a data page mapped writable", EINVAL],
  ["MMUEXT_PIN_L2_TABLE of a data page mapped writable", EINVAL],
  ["MMUEXT_NEW_BASEPTR to a data page mapped writable", EINVAL],
  ["MMUEXT_UNPIN_TABLE of a frame not pinned", EINVAL],
  ["set_gdt on a frame still mapped writable", EINVAL],
  ["update_va_mapping: the GDT frame mapped writable", EBUSY],
  ["update_descriptor into an L1 page table", EINVAL],
  ["update_va_mapping: the pinned L1 mapped writable", EBUSY],
  ["decrease_reservation of the pinned L1 (extents done)", 1],
];
const PAE_ONLY = new Set(["mmu_update: PAE L3 slot 3", "mmu_update: L3 entry to an L1 (wrong level)"]);

describe("attack guest", () => {
  it.each(["attack-pae", "attack-classic"])("%s: every attempt refused with Xen's errno, the hypervisor's state unchanged", (name) => {
    const pae = name.endsWith("-pae");
    const kernelRun = runGuest(name);
    const { d, out } = kernelRun;
    expect(kernelRun.status, out).toBe(0);
    const got = [...out.matchAll(/^attack (.*): (-?\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
    expect(got).toEqual(ATTACKS.filter(([what]) => pae || !PAE_ONLY.has(what)));
    // The hypervisor's frames are still its own and unreferenced by the guest; the domain is two
    // frames down (the one given back, the pinned L1 freed once unmapped).
    const mm = d.machineMemory!;
    const m2pFirst = mm.m2p.baseMfn;
    expect(mm.frames.owner(m2pFirst)).toBe(0x7ff2);
    expect(mm.pageInfo.refCount(m2pFirst)).toBe(0);
    expect(mm.frames.current(d.domid)).toBe(4096 - 2);
  });
});

describe("addrspace and mmubatch guests", () => {
  it.each(["addrspace-pae", "addrspace-classic"])("%s: two ring-3 processes in fresh address spaces, built in the same frames", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("round 2, in the same frames: 1000 * 3 + 7 == 0xbbf");
    // The torn-down tables hold no types: every frame of the domain that is not a page table of
    // the running address space is untyped or writable.
    expect(r.d.hvLog.filter((l) => !l.startsWith("Could not get page type PGT_writable_page"))).toEqual([]);
  });

  it.each(["mmubatch-pae", "mmubatch-classic"])("%s: the batch stopped at its bad request", (name) => {
    const r = runGuest(name);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/ok \d+ - two requests done == 0x2/);
  });
});
