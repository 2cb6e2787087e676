// TLB coherence under direct paging: the core's TLB is a real one, so an update without a flush
// may leave a stale translation (the guest's business) — but never one Xen's checks relied on
// being gone: a frame whose writable mapping was removed without a flush and which then becomes
// a page table must not stay writable through the stale entry (Xen flushes on a type change).
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va } from "../../helpers/pv.ts";
import { PGT } from "../../../src/hv/page-info.ts";
import type { Mfn } from "../../../src/hv/addr.ts";

describe("TLB and page types", () => {
  for (const layout of ["pae", "classic"] as const) {
    it(`a stale writable translation dies when its frame becomes an L1 (${layout})`, () => {
      const t = pvDomain(`${PRELUDE}
        movl $0x1111, ${va(450)}                       /* a writable translation in the TLB */
        movl $${va(450)}, %ebx; xorl %ecx, %ecx; xorl %edx, %edx; xorl %esi, %esi
        HYPERCALL 14; RESULT 0                         /* unmapped, no flush */
        movl $0x2222, ${va(450)}                       /* the stale entry still writes (as a real TLB) */
        movl $0, ${DATA + 0x100}; movl $${mfnOf(450)}, ${DATA + 0x104}
        movl $${DATA + 0x100}, %ebx; movl $1, %ecx; xorl %edx, %edx; movl $0x7ff0, %esi
        HYPERCALL 26; RESULT 1                         /* PIN_L1_TABLE: now a page table */
        movl $0x3333, ${va(450)}                       /* must fault: no handler, the domain dies */
        SHUTDOWN 0
      `, layout);
      const end = t.run();
      expect(t.d.mem.readU32s(DATA, 2)).toEqual([0, 0]);
      expect(end.kind).toBe("killed");
      expect(t.d.readMachineU32(mfnOf(450) * 4096)).toBe(0x2222);
      expect(t.d.paging.pages.typeOf(mfnOf(450) as Mfn)).toBe(PGT.l1);
    });
  }
});
