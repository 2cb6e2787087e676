// Privileged instructions at ring 1: Xen's allow-list is emulated (CLI/STI and IN/OUT under the
// virtual IOPL, control and debug registers, the forced-emulation CPUID), the rest bounced as #GP.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, SHARED_INFO_VA, mfnOf, PT_PFNS } from "../helpers/pv.ts";

const GP_HANDLER = `
gp:
  movl (%esp), %eax
  movl %eax, %ss:${DATA + 0x80}       /* error code */
  movl 4(%esp), %eax
  movl %eax, %ss:${DATA + 0x84}       /* EIP */
  SHUTDOWN 0
traps:
  .byte 13, 0
  .word 0xe019
  .long gp
  .long 0, 0
`;

describe("privileged instructions", () => {
  it("CLI/STI with virtual IOPL 1 set and clear the upcall mask; IN reads all ones", () => {
    const t = pvDomain(`${PRELUDE}
      movl $1, ${DATA + 0x100}
      movl $6, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33     /* set_iopl 1 */
      sti
      movzbl ${SHARED_INFO_VA + 1}, %eax; RESULT 0
      cli
      movzbl ${SHARED_INFO_VA + 1}, %eax; RESULT 1
      movl $0x12345678, %eax
      inb $0x60, %al
      RESULT 2
      outb %al, $0x80
      movw $0x3f8, %dx
      inl %dx, %eax
      RESULT 3
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([0, 1, 0x123456ff, 0xffffffff]);
    expect(t.d.stats.emulated).toBe(5);
  });

  it("CLI with virtual IOPL 0 is #GP(0) at the CLI", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      movl $at, ${DATA + 0x88}
    at:
      cli
      ${GP_HANDLER}
    `);
    t.run();
    const [ec, eip, at] = t.d.mem.readU32s(DATA + 0x80, 3);
    expect([ec, eip]).toEqual([0, at]);
  });

  it("MOV from CR3 gives xen_pfn_to_cr3 of the base; CR0 may change only TS; CR2 reads the last fault", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      movl %cr3, %eax; RESULT 0
      movl %cr0, %eax; RESULT 1
      orl $8, %eax
      movl %eax, %cr0                   /* set TS: allowed */
      movl %cr0, %eax; RESULT 2
      movl $0x1234, %eax
      movl %eax, %cr2
      movl %cr2, %eax; RESULT 3
      movl $at, ${DATA + 0x88}
      movl %cr0, %eax
      andl $~0x10000, %eax
    at:
      movl %eax, %cr0                   /* clearing WP: #GP */
      ${GP_HANDLER}
    `);
    t.run();
    const r = t.d.mem.readU32s(DATA, 4);
    expect(r[0]).toBe(mfnOf(PT_PFNS[0]) << 12);
    expect((r[1] & 0x80010001) >>> 0).toBe(0x80010001);
    expect(r[2]).toBe((r[1] | 8) >>> 0);
    expect(r[3]).toBe(0x1234);
    const [ec, eip, at] = t.d.mem.readU32s(DATA + 0x80, 3);
    expect([ec, eip]).toEqual([0, at]);
  });

  it("ud2a 'xen' cpuid is CPUID with Xen's leaves; other #UD goes to the guest", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0x40000000, %eax
      .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
      movl %ebx, ${DATA}; movl %ecx, ${DATA + 4}; movl %edx, ${DATA + 8}; movl %eax, ${DATA + 12}
      movl $0x40000001, %eax
      .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
      RESULT 4
      movl $traps, %ebx; HYPERCALL 0
      movl $bad, ${DATA + 0x88}
    bad:
      .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x90, 0x90   /* the prefix without cpuid: a plain #UD */
    ud:
      movl (%esp), %eax; movl %eax, ${DATA + 0x84}
      SHUTDOWN 0
    traps:
      .byte 6, 0
      .word 0xe019
      .long ud
      .long 0, 0
    `);
    t.run();
    const [eip, at] = t.d.mem.readU32s(DATA + 0x84, 2);
    expect(eip).toBe(at);
    expect(new TextDecoder().decode(t.d.mem.read(DATA, 12))).toBe("XenVMMXenVMM");
    expect(t.d.mem.readU32s(DATA + 12, 2)).toEqual([0x40000002, (4 << 16) | 17]);
  });

  it("set_debugreg / get_debugreg: breakpoints below the hypervisor area, DR6 fixed bits, no DR7.GD", () => {
    const t = pvDomain(`${PRELUDE}
      movl $0, %ebx; movl $0x1000, %ecx; HYPERCALL 8; RESULT 0
      movl $0, %ebx; HYPERCALL 9; RESULT 1
      movl $1, %ebx; movl $0xf5800000, %ecx; HYPERCALL 8; RESULT 2
      movl $7, %ebx; movl $0x2000, %ecx; HYPERCALL 8; RESULT 3
      movl $6, %ebx; movl $0, %ecx; HYPERCALL 8; RESULT 4
      movl $6, %ebx; HYPERCALL 9; RESULT 5
      movl $8, %ebx; HYPERCALL 9; RESULT 6
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 7)).toEqual([0, 0x1000, (-1 >>> 0), (-1 >>> 0), 0, 0xffff0ff0, (-22 >>> 0)]);
  });
});
