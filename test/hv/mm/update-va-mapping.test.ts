// update_va_mapping and mmuext_op from a running guest: mappings change in the guest's own tables,
// TLB flushes do what their flags say (a stale translation survives without one, as on the real
// CPU), and frames the domain may not map or entry bits a domU may not set are refused with Xen's
// errno (get_page_from_l1e: -EBUSY not mappable, -EPERM beyond RAM, -EINVAL bad flags / no L1).
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va, PT_PFNS } from "../../helpers/pv.ts";
import { ERRNO } from "../../../src/hv/abi.ts";
import { L } from "../../../src/core/layout.gen.ts";
import { PGT, PGT_PAE_XEN_L2 } from "../../../src/hv/page-info.ts";
import type { Mfn } from "../../../src/hv/addr.ts";

const neg = (e: number) => (-e) >>> 0;

describe("update_va_mapping", () => {
  it("maps, remaps with INVLPG, keeps a stale translation without a flush, refuses bad entries", () => {
    const A = va(400), B = va(401), HOLE = 0xc0300000;
    const t = pvDomain(`${PRELUDE}
      movl $0x1111, ${A}
      movl $0x2222, ${B}
      movl $${HOLE}, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; xorl %edx, %edx; movl $0, %esi
      HYPERCALL 14; RESULT 0                 /* no L1 covers 0xC0300000: -EINVAL */
      movl $${A}, %ebx; movl $${mfnOf(401) * 4096 | 0x23}, %ecx; movl $2, %esi
      HYPERCALL 14; RESULT 1                 /* A -> B's frame, UVMF_INVLPG */
      movl ${A}, %eax; RESULT 2
      movl $${A}, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; movl $0, %esi
      HYPERCALL 14; RESULT 3                 /* back, no flush: the TLB still says B's frame */
      movl ${A}, %eax; RESULT 4
      movl $6, ${DATA + 0x100}               /* mmuext TLB_FLUSH_LOCAL */
      movl $${DATA + 0x100}, %ebx; movl $1, %ecx; movl $${DATA + 0x120}, %edx; movl $0x7ff0, %esi
      HYPERCALL 26; RESULT 5
      movl ${A}, %eax; RESULT 6
      movl $${A}, %ebx; movl $0x10023, %ecx; xorl %edx, %edx; movl $0, %esi
      HYPERCALL 14; RESULT 7                 /* frame 0x10: not the domain's (a free frame) */
      movl $${A}, %ebx; movl $${mfnOf(400) * 4096 | 0x33}, %ecx
      HYPERCALL 14; RESULT 8                 /* PCD: not for a domU */
      movl $${A}, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; movl $1, %edx
      HYPERCALL 14; RESULT 9                 /* above 4 GiB: not RAM, I/O space */
      movl $0xf5800000, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; xorl %edx, %edx
      HYPERCALL 14; RESULT 10                /* the hypervisor area */
      movl ${DATA + 0x120}, %eax; RESULT 11  /* mmuext done count */
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 12)).toEqual([neg(ERRNO.EINVAL), 0, 0x2222, 0, 0x2222, 0, 0x1111,
      neg(ERRNO.EBUSY), neg(ERRNO.EINVAL), neg(ERRNO.EPERM), neg(ERRNO.EINVAL), 1]);
  });

  it("mmuext_op: NEW_BASEPTR to a second address space, INVLPG_LOCAL, a refused pin stops the batch, -ESRCH for other domains", () => {
    // A second top-level table at pfn 450 whose slot 3 is its own L2 (pfn 451, a copy of the L2):
    // mapped read-only first, as Xen requires of page tables.
    const [top, l2, l1] = PT_PFNS;
    const t = pvDomain(`${PRELUDE}
      movl $${va(450)}, %ebx; movl $${mfnOf(450) * 4096 | 0x21}, %ecx; xorl %edx, %edx; movl $2, %esi
      HYPERCALL 14; RESULT 4
      movl $${va(451)}, %ebx; movl $${mfnOf(451) * 4096 | 0x21}, %ecx; xorl %edx, %edx; movl $2, %esi
      HYPERCALL 14; RESULT 5
      movl $5, ${DATA + 0x100}; movl $${mfnOf(450)}, ${DATA + 0x104}      /* NEW_BASEPTR */
      movl $7, ${DATA + 0x10c}; movl $${va(400)}, ${DATA + 0x110}         /* INVLPG_LOCAL */
      movl $0, ${DATA + 0x118}; movl $${mfnOf(452)}, ${DATA + 0x11c}      /* PIN_L1_TABLE of a writable page */
      movl $${DATA + 0x100}, %ebx; movl $3, %ecx; movl $${DATA + 0x140}, %edx; movl $0x7ff0, %esi
      HYPERCALL 26; RESULT 0
      movl ${DATA + 0x140}, %eax; RESULT 1
      movl $${DATA + 0x100}, %ebx; movl $1, %ecx; xorl %edx, %edx; movl $5, %esi
      HYPERCALL 26; RESULT 2
      movl $5, ${DATA + 0x100}; movl $0x10, ${DATA + 0x104}               /* a foreign frame */
      movl $${DATA + 0x100}, %ebx; movl $1, %ecx; movl $0x7ff0, %esi
      HYPERCALL 26; RESULT 3
      SHUTDOWN 0
    `);
    t.m.writePhys(mfnOf(451) * 4096, t.m.readPhys(mfnOf(l2) * 4096, 4096));
    const e3 = new Uint8Array(8);
    new DataView(e3.buffer).setUint32(0, mfnOf(451) * 4096 | 0x67, true);
    t.m.writePhys(mfnOf(450) * 4096 + 3 * 8, e3);
    t.run();
    expect(t.d.mem.readU32s(DATA, 6)).toEqual([neg(ERRNO.EINVAL), 2, neg(ERRNO.ESRCH), neg(ERRNO.EINVAL), 0, 0]);
    expect(t.m.field(L.S_CR3)).toBe(mfnOf(450) * 4096);
    const pages = t.d.paging.pages;
    // the old tree lost CR3's reference: devalidated; the L1 is referenced by the new L2 only
    expect(pages.typeCountOf(mfnOf(top) as Mfn)).toBe(0);
    expect(pages.isValidated(mfnOf(top) as Mfn)).toBe(false);
    expect(pages.typeCountOf(mfnOf(l2) as Mfn)).toBe(0);
    expect(pages.typeInfo(mfnOf(451) as Mfn)).toBe(PGT.l2 | PGT_PAE_XEN_L2);
    expect(pages.typeCountOf(mfnOf(l1) as Mfn)).toBe(1);
    expect(pages.typeOf(mfnOf(452) as Mfn)).toBe(PGT.writable);
  });
});
