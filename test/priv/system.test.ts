// System instructions (SDM Vol. 2; Vol. 3, 2.5 control registers, 4.10.4 TLB invalidation).
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  runProt, setIdt, setGdt, gateDesc, segDesc, readDesc, read32, read16, write32, KCODE, UCODE, UDATA,
  SPARE, GDT, TSS,
} from "../helpers/desc.ts";

const HANDLER = 0x1100;
function run(code: string, setup?: (m: Machine) => void, budget = 10_000n) {
  return runProt(`${code}\nhlt\n.org 0x100\nhlt\n`, (m) => {
    for (const v of [6, 10, 11, 12, 13, 14]) setIdt(m, v, gateDesc(KCODE, HANDLER, 14, 0));
    setup?.(m);
  }, budget).m;
}
const vec = (m: Machine) => (m.eip === HANDLER + 1 ? m.field(L.S_EXC_VECTOR) : -1);
const ring3 = (m: Machine) => {
  m.setSegment(1, UCODE, 0, 0xffffffff, 0xc0fb);
  for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, UDATA, 0, 0xffffffff, 0xc0f3);
  m.setCpl(3);
  m.setReg("esp", 0x7000);
};

describe("privileged instructions at CPL 3 raise #GP(0)", () => {
  for (const [name, code] of [
    ["LGDT", "lgdt 0x3000"], ["LIDT", "lidt 0x3000"], ["LLDT", "lldt %ax"], ["LTR", "ltr %ax"],
    ["LMSW", "lmsw %ax"], ["MOV CR0", "mov %eax, %cr0"], ["MOV from CR3", "mov %cr3, %eax"],
    ["MOV DR7", "mov %eax, %db7"], ["CLTS", "clts"], ["INVLPG", "invlpg (0)"], ["WBINVD", "wbinvd"],
    ["RDMSR", "rdmsr"], ["WRMSR", "wrmsr"], ["HLT", "hlt"],
  ]) {
    it(name, () => {
      const m = run(code, ring3);
      expect(vec(m)).toBe(13);
      expect(read32(m, 0x9000 - 24)).toBe(0);
      expect(read32(m, 0x9000 - 20)).toBe(0x1000);
    });
  }
  it("SGDT, SIDT, SLDT, STR, SMSW are allowed", () => {
    const m = run(`sgdt 0x3000; sidt 0x3010; str %ax; smsw %ebx; jmp .`, ring3, 50n);
    expect(vec(m)).toBe(-1);
    expect(read16(m, 0x3000)).toBe(16 * 8 - 1);
    expect(read32(m, 0x3002)).toBe(GDT);
    expect(read16(m, 0x3010)).toBe(256 * 8 - 1);
    expect(m.reg("eax") & 0xffff).toBe(0x28);
    expect(m.reg("ebx")).toBe(0x11);
  });
});

describe("descriptor-table registers", () => {
  it("LGDT/LIDT load limit and base; with a 16-bit operand only 24 bits of base", () => {
    const m = run(`movw $0x17, 0x3000; movl $0x12345678, 0x3002; lgdt 0x3000; data16 lidt 0x3000`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, HANDLER, 14, 0));
    });
    expect(m.field(L.S_GDTR_LIMIT)).toBe(0x17);
    expect(m.field(L.S_GDTR_BASE)).toBe(0x12345678);
    expect(m.field(L.S_IDTR_BASE)).toBe(0x345678);
  });
  it("LTR marks the TSS busy; a busy TSS: #GP(selector); null: #GP(0)", () => {
    const m = run(`mov $${SPARE}, %ax; ltr %ax`, (m) => setGdt(m, SPARE, segDesc(TSS, 0x67, 0x89, 0)));
    expect(m.field(L.S_TR_SEL)).toBe(SPARE);
    expect((readDesc(m, GDT, SPARE >> 3)[1] >> 8) & 0xf).toBe(11);
    const b = run(`mov $0x28, %ax; ltr %ax`);
    expect([vec(b), read32(b, 0x8000 - 16)]).toEqual([13, 0x28]);
    const n = run(`xor %eax, %eax; ltr %ax`);
    expect([vec(n), read32(n, 0x8000 - 16)]).toEqual([13, 0]);
  });
  it("LLDT of a non-LDT descriptor: #GP(selector); not present: #NP(selector)", () => {
    const a = run(`mov $0x10, %ax; lldt %ax`);
    expect([vec(a), read32(a, 0x8000 - 16)]).toEqual([13, 0x10]);
    const b = run(`mov $${SPARE}, %ax; lldt %ax`, (m) => setGdt(m, SPARE, segDesc(0x13000, 0xff, 0x02, 0)));
    expect([vec(b), read32(b, 0x8000 - 16)]).toEqual([11, SPARE]);
  });
});

describe("control registers", () => {
  it("CR0: PG without PE is #GP(0); NW without CD is #GP(0); ET reads as 1", () => {
    expect(vec(run(`mov $0x80000000, %eax; mov %eax, %cr0`))).toBe(13);
    expect(vec(run(`mov $0x20000001, %eax; mov %eax, %cr0`))).toBe(13);
    const m = run(`mov $0x1, %eax; mov %eax, %cr0; mov %cr0, %ebx`);
    expect(m.reg("ebx")).toBe(0x11);
  });
  it("instructions of extensions CPUID does not report (MMX, SSE, SSE2, AVX, POPCNT, FXSR…) are #UD", () => {
    for (const insn of ["movaps %xmm0, %xmm1", "paddb %mm0, %mm1", "lfence", "vaddps %ymm0, %ymm1, %ymm2", "popcnt %eax, %ebx", "fxsave (%eax)", "movbe (%eax), %ebx"]) {
      expect(vec(run(insn)), insn).toBe(6);
    }
  });

  it("x87 without an FPU: #NM with CR0.EM or CR0.TS, else #UD; FWAIT #NM only with MP and TS", () => {
    const nm = (m: Machine) => setIdt(m, 7, gateDesc(KCODE, HANDLER, 14, 0));
    const cr0 = (bits: number) => `mov %cr0, %eax; or $${bits}, %eax; mov %eax, %cr0;`;
    expect(vec(run("fld1", nm))).toBe(6);
    expect(vec(run(`${cr0(4)} fld1`, nm))).toBe(7);       // EM
    expect(vec(run(`${cr0(8)} faddp %st(0), %st(1)`, nm))).toBe(7); // TS
    expect(vec(run(`${cr0(8)} fwait`, nm))).toBe(-1);      // TS without MP: nothing to wait for
    expect(run(`${cr0(8)} fwait; mov $1, %ebx`, nm).reg("ebx")).toBe(1);
    expect(vec(run(`${cr0(10)} fwait`, nm))).toBe(7);      // MP and TS
  });

  it("CR4: reserved bits (VME, bit 11+, and the bits of features CPUID does not report) are #GP(0)", () => {
    expect(vec(run(`mov $1, %eax; mov %eax, %cr4`))).toBe(13);
    expect(vec(run(`mov $0x800, %eax; mov %eax, %cr4`))).toBe(13);
    // DE, MCE, PCE, OSFXSR, OSXMMEXCPT: CPUID.1:EDX has no DE, MCE, FXSR, SSE; no RDPMC
    for (const bit of [3, 6, 8, 9, 10]) expect(vec(run(`mov $${1 << bit}, %eax; mov %eax, %cr4`)), `bit ${bit}`).toBe(13);
    expect(run(`mov $0x4, %eax; mov %eax, %cr4; mov %cr4, %ebx`).reg("ebx")).toBe(0x4); // TSD
    expect(run(`mov $0xb0, %eax; mov %eax, %cr4; mov %cr4, %ebx`).reg("ebx")).toBe(0xb0);
  });
  it("CR1 and CR5 are #UD", () => {
    expect(vec(run(`.byte 0x0f, 0x22, 0xc8`))).toBe(6);
    expect(vec(run(`.byte 0x0f, 0x20, 0xe8`))).toBe(6);
  });
  it("CLTS clears CR0.TS; LMSW sets low bits but cannot clear PE", () => {
    const m = run(`mov %cr0, %eax; or $8, %eax; mov %eax, %cr0; clts; mov %cr0, %ebx; mov $0xe, %eax; lmsw %ax; mov %cr0, %ecx`);
    expect(m.reg("ebx") & 8).toBe(0);
    expect(m.reg("ecx") & 0xf).toBe(0xf);
  });
  it("PAE: loading CR3 with a present PDPTE that has reserved bits set is #GP(0)", () => {
    const m = run(`mov $0x20, %eax; mov %eax, %cr4; mov $0x20000, %eax; mov %eax, %cr3; mov %cr0, %eax; or $0x80000000, %eax; mov %eax, %cr0; mov $0x21000, %eax; mov %eax, %cr3`, (m) => {
      // identity map the first 2 MiB with one 2 MiB page
      write32(m, 0x20000, 0x22000 | 1);
      write32(m, 0x22000, 0x83);
      write32(m, 0x21000, 0x22000 | 1 | 4); // bit 2 is reserved in a PDPTE
    });
    expect(vec(m)).toBe(13);
    expect(m.field(L.S_CR3)).toBe(0x20000);
  });
});

describe("the TLB and control-register writes (SDM Vol. 3, 4.10.4)", () => {
  const setup = (m: Machine) => {
    // PD at 0x20000, PT at 0x21000 mapping 4 MiB identity; linear 0x400000 → 0x30000 via PT2
    write32(m, 0x20000, 0x21000 | 3);
    write32(m, 0x20004, 0x22000 | 3);
    for (let i = 0; i < 1024; i++) write32(m, 0x21000 + 4 * i, (i << 12) | 3);
    write32(m, 0x22000, 0x30000 | 3);
    write32(m, 0x30000, 0xaaaa);
    write32(m, 0x31000, 0xbbbb);
  };
  const on = `mov $0x20000, %eax; mov %eax, %cr3; mov %cr0, %eax; or $0x80000000, %eax; mov %eax, %cr0`;
  const remap = `movl $0x31003, 0x22000`;
  it("a stale translation stays until INVLPG", () => {
    const m = run(`${on}; mov 0x400000, %ebx; ${remap}; mov 0x400000, %ecx; invlpg 0x400000; mov 0x400000, %edx`, setup);
    expect([m.reg("ebx"), m.reg("ecx"), m.reg("edx")]).toEqual([0xaaaa, 0xaaaa, 0xbbbb]);
  });
  it("a CR3 write drops non-global translations; a global one survives with CR4.PGE", () => {
    const a = run(`${on}; mov 0x400000, %ebx; ${remap}; mov %cr3, %eax; mov %eax, %cr3; mov 0x400000, %ecx`, setup);
    expect(a.reg("ecx")).toBe(0xbbbb);
    const b = run(`mov $0x80, %eax; mov %eax, %cr4; ${on}; mov 0x400000, %ebx; movl $0x31103, 0x22000; mov %cr3, %eax; mov %eax, %cr3; mov 0x400000, %ecx`, (m) => {
      setup(m);
      write32(m, 0x22000, 0x30000 | 0x103); // global
    });
    expect(b.reg("ecx")).toBe(0xaaaa);
  });
  it("INVLPG of any address in a 4 MiB page drops the whole page", () => {
    const m = run(`mov $0x10, %eax; mov %eax, %cr4; ${on}; mov 0x401000, %ebx; movl $0x00400083, 0x20004; mov 0x401000, %edx; invlpg 0x7ff000; mov 0x401000, %ecx`, (m) => {
      setup(m);
      write32(m, 0x20004, 0x83); // a 4 MiB page at linear 4 MiB → machine 0
    });
    const first = read32(m, 0x1000);
    expect(m.reg("ebx")).toBe(first);
    expect(m.reg("edx")).toBe(first); // stale
    expect(m.reg("ecx")).toBe(0xffffffff); // machine 4 MiB+: outside RAM
  });
});

describe("what the core does not implement stops the run (EXIT_INTERNAL, reason in EXIT_ARG)", () => {
  it("clearing CR0.PE: real mode", () => {
    const m = run(`mov %cr0, %eax; and $-2, %eax; mov %eax, %cr0`);
    expect([m.field(L.S_EXIT_REASON), m.field(L.S_EXIT_ARG), m.field(L.S_EXIT_ARG + 4)]).toEqual([8, 3, 3]);
    expect(m.eip).toBe(0x1006); // at the MOV to CR0
  });
  it("IRET that sets TF: single-step traps", () => {
    const m = run(`pushl $0x102; pushl $0x08; pushl $0x1100; iret`);
    expect([m.field(L.S_EXIT_REASON), m.field(L.S_EXIT_ARG), m.field(L.S_EXIT_ARG + 4)]).toEqual([8, 3, 7]);
  });
  it("IRET to virtual-8086 mode", () => {
    const m = run(`pushl $0; pushl $0; pushl $0; pushl $0; pushl $0; pushl $0x20002; pushl $0; pushl $0; iret`);
    expect([m.field(L.S_EXIT_REASON), m.field(L.S_EXIT_ARG), m.field(L.S_EXIT_ARG + 4)]).toEqual([8, 3, 2]);
  });
});

describe("MSRs", () => {
  it("SYSENTER_CS/ESP/EIP and EFER.NXE round-trip; an unknown MSR is #GP(0)", () => {
    const m = run(`mov $0x174, %ecx; mov $0x08, %eax; xor %edx, %edx; wrmsr; rdmsr; mov %eax, %ebx;
      mov $0xc0000080, %ecx; mov $0x800, %eax; wrmsr; rdmsr; mov %eax, %esi`);
    expect(m.reg("ebx")).toBe(8);
    expect(m.reg("esi")).toBe(0x800);
    expect(vec(run(`mov $0x12345, %ecx; rdmsr`))).toBe(13);
    expect(vec(run(`mov $0xc0000080, %ecx; mov $0x100, %eax; xor %edx, %edx; wrmsr`))).toBe(13);
  });
  it("SYSENTER enters ring 0 flat; SYSEXIT returns to ring 3 at EDX with ESP = ECX", () => {
    const m = run(`mov $0x174, %ecx; mov $0x08, %eax; xor %edx, %edx; wrmsr
      mov $0x175, %ecx; mov $0x6000, %eax; wrmsr
      mov $0x176, %ecx; mov $0x1200, %eax; wrmsr
      mov $0x1210, %edx; mov $0x5000, %ecx; sysexit`, (m) => {
      m.writePhys(0x1210, new Uint8Array([0x0f, 0x34])); // sysenter (ring 3)
      m.writePhys(0x1200, new Uint8Array([0xf4]));       // hlt (ring 0)
      setGdt(m, 0x18, segDesc(0, 0xfffff, 0xfa));
      setGdt(m, 0x20, segDesc(0, 0xfffff, 0xf2));
    });
    expect(m.eip).toBe(0x1201);
    expect(m.field(L.S_CPL)).toBe(0);
    expect(m.reg("esp")).toBe(0x6000);
    expect(m.field(L.S_SEG_SEL + 4)).toBe(0x08);
    expect(m.field(L.S_SEG_SEL + 8)).toBe(0x10);
  });
});

describe("probes: LAR, LSL, VERR, VERW, ARPL", () => {
  it("LAR returns the access bytes; LSL the scaled limit; ZF = 1", () => {
    const m = run(`mov $0x10, %ecx; lar %ecx, %eax; lsl %ecx, %edx`);
    expect(m.reg("eax")).toBe(0x00c09300) // flags nibble and access byte; not limit 19:16;
    expect(m.reg("edx")).toBe(0xffffffff);
  });
  it("LAR of an interrupt gate or a null selector: ZF = 0, destination unchanged", () => {
    const m = run(`mov $${SPARE}, %ecx; mov $5, %eax; lar %ecx, %eax; pushf; pop %ebx`, (m) => {
      setGdt(m, SPARE, gateDesc(KCODE, 0, 14, 0));
    });
    expect(m.reg("eax")).toBe(5);
    expect(m.reg("ebx") & 0x40).toBe(0);
  });
  it("VERR/VERW at CPL 3 on DPL 0 data: ZF = 0; on DPL 3 data: 1", () => {
    const m = run(`mov $0x10, %ax; verw %ax; pushf; pop %ebx; mov $${UDATA}, %ax; verw %ax; pushf; pop %ecx; mov $${UCODE}, %ax; verr %ax; pushf; pop %edx; jmp .`, ring3, 100n);
    expect([m.reg("ebx") & 0x40, m.reg("ecx") & 0x40, m.reg("edx") & 0x40]).toEqual([0, 0x40, 0x40]);
  });
  it("ARPL raises the RPL and sets ZF", () => {
    const m = run(`mov $0x10, %ax; mov $3, %cx; arpl %cx, %ax; pushf; pop %ebx`);
    expect(m.reg("eax") & 0xffff).toBe(0x13);
    expect(m.reg("ebx") & 0x40).toBe(0x40);
  });
});
