// Privileged instructions at ring 1: Xen's allow-list is emulated (CLI/STI, IN/OUT, INS/OUTS under the
// virtual IOPL, control and debug registers, the forced-emulation CPUID), the rest bounced as #GP.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, SHARED_INFO_VA, mfnOf, PT_PFNS, va } from "../helpers/pv.ts";
import { buildHypercallPage } from "../../src/hv/hypercall-page.ts";

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
  it("CLI/STI with virtual IOPL 1 complete without touching the upcall mask (Xen); IN reads all ones", () => {
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
    // The builder starts the vCPU with events masked; neither STI nor CLI changes that.
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([1, 1, 0x123456ff, 0xffffffff]);
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

  const TRAPS13_14 = `
traps:
  .byte 13, 0
  .word 0xe019
  .long gp
  .byte 14, 0
  .word 0xe019
  .long pf
  .long 0, 0
gp:
  popl %eax; movl %eax, %ss:${DATA + 0x80}   /* error code */
  movl (%esp), %eax; movl %eax, %ss:${DATA + 0x84}
  incl %ss:${DATA + 0x88}
  movl %ss:${DATA + 0x8c}, %eax; movl %eax, (%esp)   /* resume */
  movl $23, %eax; int $0x82                          /* iret hypercall: push %eax first */
pf:
  popl %eax; movl %eax, %ss:${DATA + 0x90}
  movl ${SHARED_INFO_VA + 8}, %eax; movl %eax, %ss:${DATA + 0x94}   /* vcpu_info.arch.cr2 */
  movl %ss:${DATA + 0x8c}, %eax; movl %eax, (%esp)
  movl $23, %eax; int $0x82
`;
  // iret hypercall frame: EAX EIP CS EFLAGS; the handlers above push EAX themselves.
  const IRET_FIX = TRAPS13_14.replace(/movl \$23, %eax; int \$0x82/g, "pushl %eax; movl $23, %eax; int $0x82");

  it("RDMSR/WRMSR by Xen's PV policy: TSC, MISC_ENABLE, dropped writes, unknown MSRs #GP(0)", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      movl $0x10, %ecx; rdmsr; RESULT 0; movl %edx, %ss:${DATA + 4}
      movl $0x1a0, %ecx; rdmsr; RESULT 2; movl %edx, %ss:${DATA + 12}
      movl $0xc0000080, %ecx; rdmsr; RESULT 4
      movl $0x199, %ecx; movl $1, %eax; xorl %edx, %edx; wrmsr      /* PERF_CTL: dropped */
      movl $0x1a0, %ecx; xorl %eax, %eax; wrmsr                     /* MISC_ENABLE: dropped */
      movl $0x8b, %ecx; rdmsr; RESULT 5
      movl $r1, ${DATA + 0x8c}
      movl $0x12345678, %ecx; rdmsr                                 /* unknown: #GP(0) */
    r1:
      movl %ss:${DATA + 0x88}, %eax; RESULT 6
      movl $r2, ${DATA + 0x8c}
      movl $0x10, %ecx; wrmsr                                       /* TSC write: #GP(0) */
    r2:
      movl %ss:${DATA + 0x88}, %eax; RESULT 7
      SHUTDOWN 0
      ${IRET_FIX}
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const r = t.d.mem.readU32s(DATA, 8);
    expect(r[0]).toBeGreaterThan(0);
    expect(r[1]).toBe(0);
    expect([r[2], r[3]]).toEqual([0x801800, 0]);
    expect(r.slice(4)).toEqual([0, 0, 1, 2]);
    expect(t.d.mem.readU32s(DATA + 0x80, 1)).toEqual([0]);
  });

  it("WRMSR 0x40000000 writes the hypercall page into the frame; a page index is #GP(0)", () => {
    const pfn = 300;
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      movl $0x40000000, %ecx; movl $${mfnOf(pfn) << 12}, %eax; xorl %edx, %edx; wrmsr
      movl $r1, ${DATA + 0x8c}
      movl $0x40000000, %ecx; movl $${(mfnOf(pfn) << 12) | 1}, %eax; wrmsr
    r1:
      movl $0x40000000, %ecx; rdmsr; RESULT 0
      movl %ss:${DATA + 0x88}, %eax; RESULT 1
      xorl %ebx, %ebx; call ${va(pfn) + 17 * 32}; RESULT 2   /* xen_version(XENVER_version) through it */
      SHUTDOWN 0
      ${IRET_FIX}
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.m.readPhys(mfnOf(pfn) * 4096, 4096)).toEqual(buildHypercallPage());
    expect(t.d.mem.readU32s(DATA, 3)).toEqual([0, 1, (4 << 16) | 17]);
  });

  it("REP INSB/INSW and OUTSB under the virtual IOPL: all ones in, registers retired, RTC index kept", () => {
    const t = pvDomain(`${PRELUDE}
      movl $1, ${DATA + 0x100}
      movl $6, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33       /* set_iopl 1 */
      movl $${DATA + 0x200}, %edi; movl $5, %ecx; movw $0x60, %dx
      rep insb
      RESULT 0; movl %edi, %ss:${DATA + 4}; movl %ecx, %ss:${DATA + 8}
      movl $${DATA + 0x300}, %edi; movl $2, %ecx; movw $0x80, %dx
      rep insw
      movb $0x0b, ${DATA + 0x400}
      movl $${DATA + 0x400}, %esi; movw $0x70, %dx
      outsb                                                          /* RTC index 0x0b */
      movl %esi, %ss:${DATA + 12}
      inb $0x70, %al; movzbl %al, %eax; RESULT 4
      movl $0xfffffff0, %eax; movw $0xcf8, %dx; movl $0x80001234, %eax; outl %eax, %dx
      xorl %eax, %eax; inl %dx, %eax; RESULT 5
      SHUTDOWN 0
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    const r = t.d.mem.readU32s(DATA, 6);
    expect(r[1]).toBe(DATA + 0x205);
    expect(r[2]).toBe(0);
    expect(r[3]).toBe(DATA + 0x401);
    expect(r[4]).toBe(0x0b);
    expect(r[5]).toBe(0x80001234);
    expect([...t.d.mem.read(DATA + 0x200, 6)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0]);
    expect([...t.d.mem.read(DATA + 0x300, 5)]).toEqual([0xff, 0xff, 0xff, 0xff, 0]);
  });

  it("INS into an unmapped page is #PF (write) at that address after the elements before it", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      movl $1, ${DATA + 0x100}
      movl $6, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33
      movl $r1, ${DATA + 0x8c}
      movl $0xc01ffffe, %edi; movl $4, %ecx; movw $0x60, %dx
      rep insb
    r1:
      movl %edi, %ss:${DATA}; movl %ecx, %ss:${DATA + 4}
      SHUTDOWN 0
      ${IRET_FIX}
    `);
    // 0xc01ff000 is shared_info (writable); 0xc0200000 is unmapped.
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.d.mem.readU32s(DATA, 2)).toEqual([0xc0200000, 2]);
    expect(t.d.mem.readU32s(DATA + 0x90, 2)).toEqual([2, 0xc0200000]);
  });

  it("the I/O bitmap of set_iobitmap opens single ports at IOPL 0; a closed port is #GP(0)", () => {
    const t = pvDomain(`${PRELUDE}
      movl $traps, %ebx; HYPERCALL 0
      /* bitmap at DATA+0x1000: all closed except port 0x70 */
      movl $${DATA + 0x1000}, %edi; movl $2048, %ecx; movl $-1, %eax; rep stosl
      andb $0xfe, ${DATA + 0x1000 + (0x70 >> 3)}
      movl $${DATA + 0x1000}, ${DATA + 0x100}; movl $0x400, ${DATA + 0x104}
      movl $7, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33; RESULT 0
      movb $0x5a, %al; outb %al, $0x70; inb $0x70, %al; movzbl %al, %eax; RESULT 1
      movl $r1, ${DATA + 0x8c}
      inw $0x70, %ax                                           /* 0x71 is closed */
    r1:
      movl %ss:${DATA + 0x88}, %eax; RESULT 2
      movl $0xf57ff000, ${DATA + 0x100}
      movl $7, %ebx; movl $${DATA + 0x100}, %ecx; HYPERCALL 33; RESULT 3   /* reaches Xen: -EINVAL */
      SHUTDOWN 0
      ${IRET_FIX}
    `);
    expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([0, 0x5a, 1, -22 >>> 0]);
  });
});
