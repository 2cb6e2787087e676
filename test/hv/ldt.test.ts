// MMUEXT_SET_LDT's argument rules (src/hv/ldt.ts; the lazy mapping through the per-domain LDT
// window needs the builder's hypervisor area and is exercised by the ldt guest,
// test/guests/pv.test.ts).
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA } from "../helpers/pv.ts";
import { L } from "../../src/core/layout.gen.ts";

const OP = DATA + 0x100;
const SET_LDT = (lin: number, ents: number, slot: number) => `
  movl $13, ${OP}; movl $${lin}, ${OP + 4}; movl $${ents}, ${OP + 8}
  movl $${OP}, %ebx; movl $1, %ecx; xorl %edx, %edx; movl $0x7ff0, %esi; HYPERCALL 26; RESULT ${slot}
`;

describe("MMUEXT_SET_LDT", () => {
  it("page-aligned base, at most 8192 entries; 0 entries means no LDT whatever the address", () => {
    const t = pvDomain(`${PRELUDE}
      ${SET_LDT(DATA + 0x1008, 16, 0)}
      ${SET_LDT(DATA + 0x1000, 8193, 1)}
      ${SET_LDT(DATA + 0x1008, 0, 2)}
      ${SET_LDT(DATA + 0x1000, 8192, 3)}
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([-22 >>> 0, -22 >>> 0, 0, 0]);
    expect([t.d.vcpu.ldtBase, t.d.vcpu.ldtEntries]).toEqual([DATA + 0x1000, 8192]);
    // Without the builder's per-domain area there is no window: the core's LDTR stays null.
    expect(t.m.field(L.S_LDTR_SEL)).toBe(0);
  });
});
