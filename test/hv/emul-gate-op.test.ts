// Call-gate emulation (src/hv/emul-gate-op.ts, Xen's emul-gate-op.c): a far CALL through a guest
// call gate (DPL 0 after check_descriptor) raises #GP(gate); the hypervisor performs the call with
// the gate's requested DPL, or raises the fault the CPU would have. The hand-built test domain
// has no hypervisor GDT in the core, so the gate's #GP is the core's "selector beyond the GDT
// limit" #GP(selector) — the same error code. The target runs and reports what it sees.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va } from "../helpers/pv.ts";

const GDT_PFN = 400;
const gdtVa = va(GDT_PFN), gdtMfn = mfnOf(GDT_PFN);
/** Map the GDT page read-only, write gate 1 (DPL `dpl`, to 0xe019:target, `nparm`), set_gdt. */
const SETUP = (dpl: number, nparm = 0) => `
  movl $${gdtMfn}, ${DATA + 0x100}
  movl $target, %eax; andl $0xffff0000, %eax; orl $${0x8c00 | (dpl << 13) | nparm}, %eax; movl %eax, ${gdtVa + 12}
  movl $target, %eax; andl $0xffff, %eax; orl $0xe0190000, %eax; movl %eax, ${gdtVa + 8}
  movl $${gdtVa}, %ebx; movl $${gdtMfn * 4096 + 0x21}, %ecx; xorl %edx, %edx; movl $2, %esi; HYPERCALL 14
  movl $${DATA + 0x100}, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 0
`;

describe("call gates", () => {
  it("a same-ring lcall through a DPL-1 gate pushes CS and the return EIP and runs the target at ring 1", () => {
    const t = pvDomain(`${PRELUDE}
      ${SETUP(1)}
      movl %esp, %ss:${DATA + 4}
      movl $back, %ss:${DATA + 8}
      lcall $0x09, $0
    back:
      SHUTDOWN 3
    target:
      movl %esp, %ss:${DATA + 12}
      movl (%esp), %eax; RESULT 4
      movl 4(%esp), %eax; RESULT 5
      movl %cs, %eax; RESULT 6
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const [rc, esp0, back, esp1, ret, cs, cs1] = t.d.mem.readU32s(DATA, 7);
    expect(rc).toBe(0);
    expect([esp1, ret, cs, cs1 & 0xffff]).toEqual([esp0 - 8, back, 0xe019, 0xe019]);
    expect(t.d.stats.emulated).toBe(1);
  });

  it("a selector RPL above the gate's DPL is #GP(gate) at the lcall", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      ${SETUP(1)}
      movl $at, ${DATA + 8}
    at:
      lcall $0x0b, $0
    target:
      SHUTDOWN 3
    gp:
      movl (%esp), %eax; RESULT 4
      movl 4(%esp), %eax; RESULT 5
      SHUTDOWN 0
    traps:
      .byte 13, 0
      .word 0xe019
      .long gp
      .long 0, 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const r = t.d.mem.readU32s(DATA, 6);
    expect([r[4], r[5]]).toEqual([0x08, r[2]]);
  });
});
