// update_va_mapping and mmuext_op: mappings change in the guest's own tables, TLB flushes do what
// their flags say (a stale translation survives without one, as on the real CPU), and frames the
// domain does not own or entry bits a domU may not set are refused.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va, PT_PFNS } from "../helpers/pv.ts";
import { ERRNO } from "../../src/hv/abi.ts";
import { L } from "../../src/core/layout.gen.ts";

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
      HYPERCALL 14; RESULT 7                 /* frame 0x10: not the domain's */
      movl $${A}, %ebx; movl $${mfnOf(400) * 4096 | 0x33}, %ecx
      HYPERCALL 14; RESULT 8                 /* PCD: not for a domU */
      movl $${A}, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; movl $1, %edx
      HYPERCALL 14; RESULT 9                 /* above 4 GiB */
      movl $0xf5800000, %ebx; movl $${mfnOf(400) * 4096 | 0x23}, %ecx; xorl %edx, %edx
      HYPERCALL 14; RESULT 10                /* the hypervisor area */
      movl ${DATA + 0x120}, %eax; RESULT 11  /* mmuext done count */
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 12)).toEqual([neg(ERRNO.EINVAL), 0, 0x2222, 0, 0x2222, 0, 0x1111,
      neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), 1]);
  });

  it("mmuext_op: NEW_BASEPTR to another table, INVLPG_LOCAL, -ENOSYS for pins, -ESRCH for other domains", () => {
    // A second top-level table: a copy of the first (PAE L3 sharing the L2s).
    const [top] = PT_PFNS;
    const t = pvDomain(`${PRELUDE}
      movl $5, ${DATA + 0x100}; movl $${mfnOf(450)}, ${DATA + 0x104}      /* NEW_BASEPTR */
      movl $7, ${DATA + 0x10c}; movl $${va(400)}, ${DATA + 0x110}         /* INVLPG_LOCAL */
      movl $0, ${DATA + 0x118}; movl $${mfnOf(451)}, ${DATA + 0x11c}      /* PIN_L1_TABLE */
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
    // pfn 450 holds a copy of the initial top-level table
    t.m.writePhys(mfnOf(450) * 4096, t.m.readPhys(mfnOf(top) * 4096, 4096));
    t.run();
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([neg(ERRNO.ENOSYS), 2, neg(ERRNO.ESRCH), neg(ERRNO.EINVAL)]);
    expect(t.m.field(L.S_CR3)).toBe(mfnOf(450) * 4096);
  });
});
