// mmuext_op against Xen's do_mmuext_op: pin/unpin rules (a pin validates and holds the frame; a
// failed validation takes nothing), NEW_BASEPTR's type requirement, CLEAR/COPY_PAGE on writable
// frames only, the commands a domU is refused, batches with *pdone. Both layouts.
import { describe, it, expect } from "vitest";
import { mmDomain } from "../../helpers/pv-mm.ts";
import { ERRNO, MMUEXT } from "../../../src/hv/abi.ts";
import { PGT } from "../../../src/hv/page-info.ts";
import type { Mfn } from "../../../src/hv/addr.ts";
import { L } from "../../../src/core/layout.gen.ts";

for (const layout of ["pae", "classic"] as const) {
  describe(`mmuext_op (${layout})`, () => {
    it("pins an L1: validated, type and general references held; twice -EINVAL; unpin; unpin again -EINVAL", () => {
      const m = mmDomain(layout);
      const f = m.mfnOf(450) as Mfn, data = m.mfnOf(451) as Mfn;
      // pfn 450 becomes an L1 mapping pfn 451 writable; first made read-only where it is mapped
      m.d.writeMachineU32(f * 4096 + 7 * m.esz, data * 4096 | 0x23);
      expect(m.mmu([[m.ea(m.l1, 450), f * 4096 | 0x21]])).toEqual([0, 1]);
      const dataRefs = [m.pages.refCount(data), m.pages.typeCountOf(data)];
      expect(m.ext([[MMUEXT.PIN_L1_TABLE, f]])).toEqual([0, 1]);
      expect([m.pages.typeOf(f), m.pages.typeCountOf(f), m.pages.isPinned(f), m.pages.isValidated(f)]).toEqual([PGT.l1, 1, true, true]);
      expect([m.pages.refCount(data), m.pages.typeCountOf(data)]).toEqual([dataRefs[0] + 1, dataRefs[1] + 1]);
      const pinned = m.snap([f, data]);
      expect(m.ext([[MMUEXT.PIN_L1_TABLE, f]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.PIN_L2_TABLE, f]])).toEqual([-ERRNO.EINVAL, 0]); // an L1 cannot be an L2
      expect(m.snap([f, data])).toEqual(pinned);
      // pinned, it cannot be mapped writable
      expect(m.mmu([[m.ea(m.l1, 450), f * 4096 | 0x23]])).toEqual([-ERRNO.EBUSY, 0]);
      expect(m.ext([[MMUEXT.UNPIN_TABLE, f]])).toEqual([0, 1]);
      expect([m.pages.typeCountOf(f), m.pages.isPinned(f), m.pages.isValidated(f)]).toEqual([0, false, false]);
      expect([m.pages.refCount(data), m.pages.typeCountOf(data)]).toEqual(dataRefs); // devalidated
      expect(m.ext([[MMUEXT.UNPIN_TABLE, f]])).toEqual([-ERRNO.EINVAL, 0]);
    });

    it("a pin whose validation fails takes nothing (the entries before the bad one are undone)", () => {
      const m = mmDomain(layout);
      const f = m.mfnOf(450) as Mfn, data = m.mfnOf(451) as Mfn;
      m.d.writeMachineU32(f * 4096 + 1 * m.esz, data * 4096 | 0x23);          // fine
      m.d.writeMachineU32(f * 4096 + 2 * m.esz, m.l1 * 4096 | 0x23);          // its L1 writable: -EBUSY
      expect(m.mmu([[m.ea(m.l1, 450), f * 4096 | 0x21]])).toEqual([0, 1]);
      const before = m.snap([data, m.l1]), counts = [m.pages.refCount(f), m.pages.typeCountOf(f)];
      expect(m.ext([[MMUEXT.PIN_L1_TABLE, f]])).toEqual([-ERRNO.EBUSY, 0]);
      expect(m.snap([data, m.l1])).toEqual(before);
      expect([m.pages.refCount(f), m.pages.typeCountOf(f), m.pages.isPinned(f)]).toEqual([...counts, false]);
      expect(m.pages.typeOf(f)).toBe(PGT.none); // alloc_page_type failed: type_info = 0
      expect(m.d.paging.pages.stats.validationFailures).toBe(1);
    });

    it("pinning a non-table (a frame mapped writable) -EINVAL; not the domain's -EINVAL; L4 ignored", () => {
      const m = mmDomain(layout);
      const before = m.snap([m.mfnOf(300)]);
      expect(m.ext([[MMUEXT.PIN_L1_TABLE, m.mfnOf(300)]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.PIN_L1_TABLE, 0x12]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.UNPIN_TABLE, 0x12]])).toEqual([-ERRNO.EINVAL, 0]);
      // "Ignore pinning of invalid paging levels": success, nothing done
      expect(m.ext([[MMUEXT.PIN_L4_TABLE, m.mfnOf(300)]])).toEqual([0, 1]);
      if (layout === "classic") expect(m.ext([[MMUEXT.PIN_L3_TABLE, m.mfnOf(300)]])).toEqual([0, 1]);
      expect(m.snap([m.mfnOf(300)])).toEqual(before);
    });

    it("NEW_BASEPTR needs the root type (L3 PAE, L2 classic): an L1, a writable frame, a foreign one -EINVAL, CR3 unchanged", () => {
      const m = mmDomain(layout);
      const cr3 = m.d.machine.field(L.S_CR3);
      const before = m.snap([m.l1, m.mfnOf(300)]);
      expect(m.ext([[MMUEXT.NEW_BASEPTR, m.l1]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.NEW_BASEPTR, m.mfnOf(300)]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.NEW_BASEPTR, 0x12]])).toEqual([-ERRNO.EINVAL, 0]);
      if (layout === "pae") expect(m.ext([[MMUEXT.NEW_BASEPTR, m.l2]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.d.machine.field(L.S_CR3)).toBe(cr3);
      expect(m.snap([m.l1, m.mfnOf(300)])).toEqual(before);
      // the same base again: fine, nothing taken
      expect(m.ext([[MMUEXT.NEW_BASEPTR, m.top]])).toEqual([0, 1]);
      expect(m.snap([m.l1, m.mfnOf(300)])).toEqual(before);
    });

    it("CLEAR_PAGE and COPY_PAGE: the destination must take a writable type, the source be the domain's", () => {
      const m = mmDomain(layout);
      const a = m.mfnOf(300), b = m.mfnOf(301);
      m.d.writeMachineU32(a * 4096 + 40, 0xabcdef01);
      expect(m.ext([[MMUEXT.COPY_PAGE, b, a]])).toEqual([0, 1]);
      expect(m.d.readMachineU32(b * 4096 + 40)).toBe(0xabcdef01);
      expect(m.ext([[MMUEXT.CLEAR_PAGE, a]])).toEqual([0, 1]);
      expect(m.d.readMachineU32(a * 4096 + 40)).toBe(0);
      const before = m.snap([a, b, m.l1]);
      expect(m.ext([[MMUEXT.CLEAR_PAGE, m.l1]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.COPY_PAGE, m.l1, b]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.COPY_PAGE, b, 0x12]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[MMUEXT.CLEAR_PAGE, 0x12]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.snap([a, b, m.l1])).toEqual(before);
    });

    it("refused to a domU: FLUSH_CACHE -EACCES, FLUSH_CACHE_GLOBAL -EINVAL, MARK_SUPER -EOPNOTSUPP; a bad SET_LDT -EINVAL (logged); a batch stops there", () => {
      const m = mmDomain(layout);
      expect(m.ext([[MMUEXT.TLB_FLUSH_LOCAL, 0], [MMUEXT.FLUSH_CACHE, 0], [MMUEXT.TLB_FLUSH_ALL, 0]])).toEqual([-ERRNO.EACCES, 1]);
      expect(m.ext([[18, 0]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.ext([[19, 0]])).toEqual([-ERRNO.EOPNOTSUPP, 0]);
      expect(m.ext([[MMUEXT.NEW_USER_BASEPTR, 0]])).toEqual([layout === "pae" ? -ERRNO.EINVAL : -ERRNO.ENOSYS, 0]);
      expect(m.ext([[MMUEXT.SET_LDT, 0, 0]])).toEqual([0, 1]); // no LDT: accepted (src/hv/ldt.ts)
      expect(m.ext([[MMUEXT.SET_LDT, 8, 1]])).toEqual([-ERRNO.EINVAL, 0]);
      expect(m.d.hvLog.at(-1)).toMatch(/SET_LDT/);
      expect(m.ext([[99, 0]])).toEqual([-ERRNO.ENOSYS, 0]);
      expect(m.ext([[MMUEXT.TLB_FLUSH_LOCAL, 0]], m.d.domid)).toEqual([-ERRNO.ESRCH, 0xdead]);
    });
  });
}
