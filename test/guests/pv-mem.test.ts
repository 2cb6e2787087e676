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
