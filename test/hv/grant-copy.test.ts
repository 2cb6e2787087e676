// GNTTABOP_copy (src/hv/grant-copy.ts): per-op statuses as Xen's gnttab_copy gives them, the bytes
// copied, and a batch longer than the preemption budget continued transparently.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va } from "../helpers/pv.ts";
import { GNTST, HYPERCALL } from "../../src/hv/abi.ts";

const OPS = DATA + 0x2000;
const SRC = 300, DST = 301;
const u16 = (v: number) => v & 0xffff;

describe("GNTTABOP_copy", () => {
  it("by frame within DOMID_SELF: bytes copied; other domid, foreign frame, past the page refused", () => {
    const t = pvDomain(`${PRELUDE}
      movl $${va(SRC)}, %edi; movl $1024, %ecx; movl $0x11223344, %eax; rep stosl
      /* op 0: SRC+8 -> DST+16, 8 bytes */
      movl $${mfnOf(SRC)}, ${OPS}; movl $0x00087ff0, ${OPS + 4}; movl $${mfnOf(DST)}, ${OPS + 8}; movl $0x00107ff0, ${OPS + 12}; movl $8, ${OPS + 16}
      /* op 1: source domid 3 by frame */
      movl $${mfnOf(SRC)}, ${OPS + 24}; movl $3, ${OPS + 28}; movl $${mfnOf(DST)}, ${OPS + 32}; movl $0x7ff0, ${OPS + 36}; movl $1, ${OPS + 40}
      /* op 2: a frame not the domain's */
      movl $0x3f, ${OPS + 48}; movl $0x7ff0, ${OPS + 52}; movl $${mfnOf(DST)}, ${OPS + 56}; movl $0x7ff0, ${OPS + 60}; movl $1, ${OPS + 64}
      /* op 3: 0xff0 + 0x20 bytes */
      movl $${mfnOf(SRC)}, ${OPS + 72}; movl $0x0ff07ff0, ${OPS + 76}; movl $${mfnOf(DST)}, ${OPS + 80}; movl $0x7ff0, ${OPS + 84}; movl $0x20, ${OPS + 88}
      movl $5, %ebx; movl $${OPS}, %ecx; movl $4, %edx; HYPERCALL 20; RESULT 0
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.d.mem.readU32s(DATA, 1)).toEqual([0]);
    const status = [0, 1, 2, 3].map((i) => t.d.mem.readU16(OPS + 24 * i + 20));
    expect(status).toEqual([GNTST.okay, GNTST.permission_denied, GNTST.bad_page, GNTST.bad_copy_arg].map(u16));
    expect(t.d.mem.readU32s(va(DST) + 12, 4)).toEqual([0, 0x11223344, 0x11223344, 0]);
  });

  it("a batch past the budget is continued: every op done, more than one hypercall entry", () => {
    const t = pvDomain(`${PRELUDE}
      movl $${OPS}, %edi; movl $40, %ecx
    1: movl $${mfnOf(SRC)}, (%edi); movl $0x7ff0, 4(%edi); movl $${mfnOf(DST)}, 8(%edi); movl $0x7ff0, 12(%edi)
      movl $4, 16(%edi); movl $0xffff0000, 20(%edi); addl $24, %edi; loop 1b
      movl $5, %ebx; movl $${OPS}, %ecx; movl $40, %edx; HYPERCALL 20; RESULT 0
      SHUTDOWN 0
    `);
    t.d.preempt.limit = 16;
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.d.mem.readU32s(DATA, 1)).toEqual([0]);
    for (let i = 0; i < 40; i++) expect(t.d.mem.readU16(OPS + 24 * i + 20)).toBe(0);
    expect(t.d.stats.hypercalls.get(HYPERCALL.grant_table_op)).toBe(3);
  });
});
