// mmu_update against Xen's rules (arch/x86/mm.c do_mmu_update, mod_l?_entry, get_page_from_l?e):
// each forbidden update is refused with Xen's errno and changes nothing — not the entry, not a
// type count, not a reference count; batches stop at the first failure with the earlier entries
// applied; A/D-only changes take the fast path. Both layouts.
import { describe, it, expect } from "vitest";
import { mmDomain } from "../../helpers/pv-mm.ts";
import { ERRNO, DOMID_XEN } from "../../../src/hv/abi.ts";
import { PGT, PGT_PAE_XEN_L2 } from "../../../src/hv/page-info.ts";
import type { Mfn } from "../../../src/hv/addr.ts";

const MMU_PRESERVE_AD = 2, MMU_MACHPHYS = 1;

for (const layout of ["pae", "classic"] as const) {
  describe(`mmu_update (${layout})`, () => {
    it("remaps an L1 entry: references move from the old frame to the new", () => {
      const { mmu, ea, l1, pages, mfnOf, entry } = mmDomain(layout);
      const a = mfnOf(300) as Mfn, b = mfnOf(301) as Mfn;
      const before = [pages.refCount(a), pages.typeCountOf(a), pages.refCount(b), pages.typeCountOf(b)];
      expect(mmu([[ea(l1, 300), b * 4096 | 0x23]])).toEqual([0, 1]);
      expect(entry(l1, 300)[0]).toBe(b * 4096 | 0x23);
      expect([pages.refCount(a), pages.typeCountOf(a), pages.refCount(b), pages.typeCountOf(b)])
        .toEqual([before[0] - 1, before[1] - 1, before[2] + 1, before[3] + 1]);
      // read-only: only the general reference
      expect(mmu([[ea(l1, 300), b * 4096 | 0x21]])).toEqual([0, 1]);
      expect([pages.refCount(b), pages.typeCountOf(b)]).toEqual([before[2] + 1, before[3]]);
      // unmapped: nothing left
      expect(mmu([[ea(l1, 300), 0]])).toEqual([0, 1]);
      expect([pages.refCount(b), pages.typeCountOf(b)]).toEqual([before[2], before[3]]);
    });

    type M = ReturnType<typeof mmDomain> & { layout: string };
    type Req = [number, number, number?];
    const refused: [string, (m: M) => Req, number][] = [
      ["a writable mapping of its own L1", (m) => [m.ea(m.l1, 300), m.l1 * 4096 | 0x23], ERRNO.EBUSY],
      ["a writable mapping of its top-level table", (m) => [m.ea(m.l1, 300), m.top * 4096 | 0x23], ERRNO.EBUSY],
      ["a writable mapping of its L2 (PAE: classic has none apart from the top)", (m) => [m.ea(m.l1, 300), (m.layout === "pae" ? m.l2 : m.top) * 4096 | 0x23], ERRNO.EBUSY],
      ["another domain's frame", (m) => { m.pages.frames.setMax(2, 1); m.pages.frames.claim(0x10 as Mfn, 2); m.pages.assign(0x10 as Mfn); return [m.ea(m.l1, 300), 0x10023]; }, ERRNO.EBUSY],
      ["a hypervisor frame", (m) => { m.pages.frames.claim(0x11 as Mfn, DOMID_XEN, true); return [m.ea(m.l1, 300), 0x11021]; }, ERRNO.EBUSY],
      ["a free frame", (m) => [m.ea(m.l1, 300), 0x12021], ERRNO.EBUSY],
      ["a frame beyond RAM (I/O space)", (m) => [m.ea(m.l1, 300), 0x5000021], ERRNO.EPERM],
      ["PCD in an L1 entry", (m) => [m.ea(m.l1, 300), m.mfnOf(301) * 4096 | 0x33], ERRNO.EINVAL],
      ["PAT in an L1 entry", (m) => [m.ea(m.l1, 300), m.mfnOf(301) * 4096 | 0xa1], ERRNO.EINVAL],
      ["PSE in an L2 entry (no PV superpages)", (m) => [m.ea(m.layout === "pae" ? m.l2 : m.top, 5), m.mfnOf(301) * 4096 | 0xe3], ERRNO.EINVAL],
      ["an L2 entry to a writable data frame (wrong type)", (m) => [m.ea(m.layout === "pae" ? m.l2 : m.top, 5), m.mfnOf(300) * 4096 | 0x67], ERRNO.EINVAL],
      ["an L2 entry mapping itself writable (recursive, with write permission)", (m) => { const t = m.layout === "pae" ? m.l2 : m.top; return [m.ea(t, 5), t * 4096 | 0x67]; }, ERRNO.EINVAL],
      ["the hypervisor's L2 slots", (m) => { const t = m.layout === "pae" ? m.l2 : m.top; return [m.ea(t, m.d.paging.xenL2Slot), m.mfnOf(301) * 4096 | 0x63]; }, ERRNO.EPERM],
      ["a frame it does not own as the table", (m) => [0x12000, 0], ERRNO.EINVAL],
      ["a page-table update in a descriptor page in use", (m) => { m.pages.getPageAndType(m.mfnOf(303) as Mfn, 1, PGT.seg_desc); return [m.ea(m.mfnOf(303), 0), 0]; }, ERRNO.EINVAL],
    ];
    for (const [what, req, errno] of refused as [string, (m: M) => Req, number][]) {
      it(`refuses ${what} with -${Object.entries(ERRNO).find(([, v]) => v === errno)![0]}, changing nothing`, () => {
        const m = Object.assign(mmDomain(layout), { layout });
        // a descriptor page must not be mapped writable: drop pfn 303's mapping first
        m.mmu([[m.ea(m.l1, 303), 0]]);
        const r = req(m);
        const watch = [m.mfnOf(300), m.mfnOf(301), m.mfnOf(303), m.l1, m.l2, m.top, 0x10, 0x11, 0x12];
        const before = m.snap(watch);
        expect(m.mmu([r as [number, number, number?]])).toEqual([-errno, 0]);
        expect(m.snap(watch)).toEqual(before);
      });
    }

    it("a batch stops at the first failure: the entries before it applied, *pdone = their count", () => {
      const { mmu, ea, l1, mfnOf, entry, snap } = mmDomain(layout);
      const before = entry(l1, 302);
      const [rc, done] = mmu([[ea(l1, 300), mfnOf(310) * 4096 | 0x21], [ea(l1, 301), l1 * 4096 | 0x23], [ea(l1, 302), 0]]);
      expect([rc, done]).toEqual([-ERRNO.EBUSY, 1]);
      expect(entry(l1, 300)[0]).toBe(mfnOf(310) * 4096 | 0x21);
      expect(entry(l1, 301)[0]).toBe(mfnOf(301) * 4096 | 0x23);
      expect(entry(l1, 302)).toEqual(before);
      expect(snap().cr3).toBe(mfnOf(500));
    });

    it("an A/D-only change takes the fast path (no new references); PRESERVE_AD keeps A and D", () => {
      const { d, mmu, ea, l1, mfnOf, entry, pages } = mmDomain(layout);
      const f = mfnOf(300) as Mfn;
      const refs = [pages.refCount(f), pages.typeCountOf(f)];
      const fast = d.paging.stats.entriesFastPath, full = d.paging.stats.entriesValidated;
      expect(mmu([[ea(l1, 300), f * 4096 | 0x63]])).toEqual([0, 1]); // + D
      expect([d.paging.stats.entriesFastPath - fast, d.paging.stats.entriesValidated - full]).toEqual([1, 0]);
      expect([pages.refCount(f), pages.typeCountOf(f)]).toEqual(refs);
      expect(mmu([[ea(l1, 300) | MMU_PRESERVE_AD, f * 4096 | 0x03]])).toEqual([0, 1]);
      expect(entry(l1, 300)[0]).toBe(f * 4096 | 0x63);
      // dropping RW is not a fast-path change: the writable reference goes
      expect(mmu([[ea(l1, 300), f * 4096 | 0x61]])).toEqual([0, 1]);
      expect(d.paging.stats.entriesValidated - full).toBe(1);
      expect([pages.refCount(f), pages.typeCountOf(f)]).toEqual([refs[0], refs[1] - 1]);
    });

    it("a read-only mapping of a page table is allowed; a read-only L2 self-map is a linear page table", () => {
      const m = mmDomain(layout);
      const t = layout === "pae" ? m.l2 : m.top;
      const refs = m.pages.refCount(m.l1 as Mfn);
      expect(m.mmu([[m.ea(m.l1, 300), m.l1 * 4096 | 0x21]])).toEqual([0, 1]);
      expect(m.pages.refCount(m.l1 as Mfn)).toBe(refs + 1);
      const before = m.snap([t]).info;
      expect(m.mmu([[m.ea(t, 5), t * 4096 | 0x25]])).toEqual([0, 1]);
      expect(m.snap([t]).info).toEqual(before); // a self-map takes nothing
      expect(m.mmu([[m.ea(t, 5), 0]])).toEqual([0, 1]);
      expect(m.snap([t]).info).toEqual(before);
    });

    it("a write into a frame that is no page table is a plain write; MACHPHYS needs the M2P", () => {
      const { d, mmu, mfnOf } = mmDomain(layout);
      const f = mfnOf(300);
      expect(mmu([[f * 4096 + 16, 0x12345678, 0x9abc]])).toEqual([0, 1]);
      expect(d.readMachineU32(f * 4096 + 16)).toBe(0x12345678);
      expect(d.paging.stats.writableUpdates).toBe(1);
      // the hand-built domain has no M2P table: loudly not done
      expect(mmu([[f * 4096 | MMU_MACHPHYS, 300]])).toEqual([-ERRNO.ENOSYS, 0]);
      expect(d.hvLog.at(-1)).toMatch(/MACHPHYS/);
      expect(mmu([[0x12000 | MMU_MACHPHYS, 300]])).toEqual([-ERRNO.EINVAL, 0]);
    });

    it("foreign domains: itself by number, DOMID_XEN and unknown ones -ESRCH; a bad command -ENOSYS", () => {
      const { mmu, ea, l1, mfnOf, d } = mmDomain(layout);
      const req: [number, number] = [ea(l1, 300), mfnOf(300) * 4096 | 0x23];
      expect(mmu([req], d.domid)).toEqual([-ERRNO.ESRCH, 0]);
      expect(mmu([req], DOMID_XEN)).toEqual([-ERRNO.ESRCH, 0]);
      expect(mmu([req], 7)).toEqual([-ERRNO.ESRCH, 0]);
      expect(mmu([req], (7 << 16) | 0x7ff0)).toEqual([-ERRNO.ESRCH, 0xdead]); // returns before *pdone
      if (layout === "pae") expect(mmu([[ea(l1, 300) | 4, 0]])).toEqual([-ERRNO.ENOSYS, 0]);
      expect(d.paging.stats.failures.get(ERRNO.ESRCH)).toBe(4);
    });
  });
}

describe("mmu_update on a PAE L3", () => {
  it("slot 3 and beyond -EINVAL; NX or PSE -EINVAL; an L1 in an L3 slot -EINVAL; present entries get RW|U", () => {
    const m = mmDomain("pae");
    const watch = [m.top, m.l2, m.l1, m.mfnOf(310)];
    const before = m.snap(watch);
    expect(m.mmu([[m.ea(m.top, 3), 0]])).toEqual([-ERRNO.EINVAL, 0]);
    expect(m.mmu([[m.ea(m.top, 4), 0]])).toEqual([-ERRNO.EINVAL, 0]);
    expect(m.mmu([[m.ea(m.top, 0), m.l2 * 4096 | 1, 0x80000000]])).toEqual([-ERRNO.EINVAL, 0]);
    expect(m.mmu([[m.ea(m.top, 0), m.l1 * 4096 | 1]])).toEqual([-ERRNO.EINVAL, 0]);
    expect(m.mmu([[m.ea(m.top, 0), m.top * 4096 | 1]])).toEqual([-ERRNO.EINVAL, 0]); // itself, wrong level
    expect(m.mmu([[m.ea(m.top, 0), m.l2 * 4096 | 1]])).toEqual([-ERRNO.EINVAL, 0]); // the pae_xen_l2: another type
    expect(m.snap(watch)).toEqual(before);
    // a fresh L2 (an all-zero frame made read-only) in slot 0
    const f = m.mfnOf(310) as Mfn;
    expect(m.mmu([[m.ea(m.l1, 310), f * 4096 | 0x21]])).toEqual([0, 1]);
    expect(m.mmu([[m.ea(m.top, 0), f * 4096 | 1]])).toEqual([0, 1]);
    expect(m.entry(m.top, 0)[0]).toBe(f * 4096 | 7);
    expect([m.pages.typeInfo(f), m.pages.typeCountOf(f)]).toEqual([PGT.l2, 1]);
    expect(m.pages.typeInfo(m.l2 as Mfn)).toBe(PGT.l2 | PGT_PAE_XEN_L2);
  });
});

describe("linear page tables (get_l2_linear_pagetable, pv-linear-pt on)", () => {
  it("an L2 may map another validated L2 read-only; a table used linearly may not hold linear entries itself", () => {
    const m = mmDomain("pae");
    const other = m.mfnOf(310) as Mfn;
    expect(m.mmu([[m.ea(m.l1, 310), other * 4096 | 0x21], [m.ea(m.top, 0), other * 4096 | 1]])).toEqual([0, 2]);
    const counts = () => [m.pages.refCount(other), m.pages.typeCountOf(other), m.pages.refCount(m.l2), m.pages.typeCountOf(m.l2)];
    const base = counts();
    // the pae_xen_l2 maps `other` as a linear page table: a type reference on it
    expect(m.mmu([[m.ea(m.l2, 5), other * 4096 | 0x25]])).toEqual([0, 1]);
    expect(counts()).toEqual([base[0] + 1, base[1] + 1, base[2], base[3]]);
    // writable: refused
    expect(m.mmu([[m.ea(m.l2, 6), other * 4096 | 0x27]])).toEqual([-ERRNO.EINVAL, 0]);
    // `other` is in linear use, so it may not hold a linear entry (inc_linear_entries fails)
    const before = m.snap([other, m.l2]);
    expect(m.mmu([[m.ea(other, 7), m.l2 * 4096 | 0x25]])).toEqual([-ERRNO.EINVAL, 0]);
    expect(m.snap([other, m.l2])).toEqual(before);
    // removing the linear entry gives the reference back
    expect(m.mmu([[m.ea(m.l2, 5), 0]])).toEqual([0, 1]);
    expect(counts()).toEqual(base);
    // now it may
    expect(m.mmu([[m.ea(other, 7), m.l2 * 4096 | 0x25]])).toEqual([0, 1]);
    expect(m.mmu([[m.ea(other, 7), 0]])).toEqual([0, 1]);
    expect(counts()).toEqual(base);
  });
});
