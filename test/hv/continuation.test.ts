// Hypercall continuations (src/hv/continuation.ts): a batch longer than the per-entry budget is
// preempted and restarted by re-executing the `int $0x82` with the rest of the batch — invisible to
// the guest except for the argument registers, as in Xen. mmuext_op's *pdone counts across the
// restarts (MMU_UPDATE_PREEMPTED); a multicall continues at the entry that was preempted.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA } from "../helpers/pv.ts";
import { HYPERCALL } from "../../src/hv/abi.ts";
import { PREEMPT_BUDGET } from "../../src/hv/continuation.ts";

const OPS = DATA + 0x1000;
/* ECX entries of 12 bytes {cmd 6 (TLB_FLUSH_LOCAL), 0, 0} at EDI */
const FILL_FLUSHES = `
1: movl $6, (%edi); movl $0, 4(%edi); movl $0, 8(%edi); addl $12, %edi; loop 1b
`;

describe("continuations", () => {
  it(`mmuext_op of 600 ops: ${PREEMPT_BUDGET} per entry, restarted until done; *pdone = 600`, () => {
    const t = pvDomain(`${PRELUDE}
      movl $${OPS}, %edi; movl $600, %ecx
      ${FILL_FLUSHES}
      movl $${OPS}, %ebx; movl $600, %ecx; movl $${DATA + 0x10}, %edx; movl $0x7ff0, %esi
      HYPERCALL 26
    after:
      RESULT 0
      movl %ebx, %ss:${DATA + 4}; movl %ecx, %ss:${DATA + 8}
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [rc, ebx, ecx, , done] = t.d.mem.readU32s(DATA, 5);
    expect(rc).toBe(0);
    expect(done).toBe(600);
    // The last restart described the rest of the batch: 600 - 2*256 ops from entry 512.
    expect([ebx, ecx]).toEqual([OPS + 512 * 12, ((600 - 512) | 0x80000000) >>> 0]);
    expect(t.d.stats.hypercalls.get(HYPERCALL.mmuext_op)).toBe(3);
    expect(t.d.preempt.continuations).toBe(2);
  });

  it("a multicall preempted inside its mmuext_op entry rewrites that entry and resumes there", () => {
    const MC = DATA + 0x3000;
    const t = pvDomain(`${PRELUDE}
      movl $${OPS}, %edi; movl $300, %ecx
      ${FILL_FLUSHES}
      /* entry 0: xen_version(0); entry 1: mmuext_op(OPS, 300, DATA+0x10, DOMID_SELF); entry 2: xen_version */
      movl $${MC}, %edi; xorl %eax, %eax; movl $24, %ecx; rep stosl
      movl $17, ${MC}
      movl $26, ${MC + 32}; movl $${OPS}, ${MC + 40}; movl $300, ${MC + 44}; movl $${DATA + 0x10}, ${MC + 48}; movl $0x7ff0, ${MC + 52}
      movl $17, ${MC + 64}
      movl $${MC}, %ebx; movl $3, %ecx
      HYPERCALL 13
      RESULT 0
      SHUTDOWN 0
    `);
    t.d.preempt.limit = 100;
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [rc, , , , done] = t.d.mem.readU32s(DATA, 5);
    expect(rc).toBe(0);
    expect(done).toBe(300);
    const e = (i: number) => t.d.mem.readU32s(MC + 32 * i, 8);
    expect(e(0)[1]).toBe((4 << 16) | 17);
    expect(e(2)[1]).toBe((4 << 16) | 17);
    // A budget of 100 units: each multicall entry costs one and each op one. The first entry ran
    // entry 0 and 98 ops, each restart 99 more (98 + 99 + 99 = 296): entry 1's arguments describe
    // the last piece, its result is the call's.
    expect(e(1).slice(1, 4)).toEqual([0, OPS + 296 * 12, (4 | 0x80000000) >>> 0]);
    expect(t.d.stats.hypercalls.get(HYPERCALL.multicall)).toBe(4);
  });

  it("a multicall longer than the budget continues at the next entry", () => {
    const MC = DATA + 0x3000;
    const t = pvDomain(`${PRELUDE}
      movl $${MC}, %edi; movl $10, %ecx
    1: movl $17, (%edi); movl $0x5a5a5a5a, 4(%edi); movl $0, 8(%edi); addl $32, %edi; loop 1b
      movl $${MC}, %ebx; movl $10, %ecx
      HYPERCALL 13
      RESULT 0
      SHUTDOWN 0
    `);
    t.d.preempt.limit = 4;
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    for (let i = 0; i < 10; i++) expect(t.d.mem.readU32s(MC + 32 * i + 4, 1)[0]).toBe((4 << 16) | 17);
    expect(t.d.stats.hypercalls.get(HYPERCALL.multicall)).toBe(3);
  });
});
