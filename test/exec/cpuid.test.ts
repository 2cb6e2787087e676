// CPUID (docs/CPUID.md) and RDTSC.
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import { OPS, HANDLERS } from "../../src/decode/ops.gen.ts";

function cpuid(leaf: number, subleaf = 0): number[] {
  const m = runAsm(`cpuid`, (m) => { m.setReg("eax", leaf); m.setReg("ecx", subleaf); });
  return [m.reg("eax"), m.reg("ebx"), m.reg("ecx"), m.reg("edx")];
}
const ascii = (...words: number[]) => Buffer.from(new Uint32Array(words).buffer).toString("latin1");

describe("CPUID", () => {
  it("leaf 0: highest basic leaf 1 and the vendor XenolithVCPU (EBX EDX ECX)", () => {
    const [a, b, c, d] = cpuid(0);
    expect(a).toBe(1);
    expect(ascii(b, d, c)).toBe("XenolithVCPU");
  });

  it("leaf 1: family 6 model 3 stepping 0, no ECX features, EDX = PSE TSC MSR PAE CX8 SEP PGE CMOV", () => {
    const [a, b, c, d] = cpuid(1);
    expect(a).toBe(0x630);
    expect(b).toBe(0);
    expect(c).toBe(0);
    expect(d).toBe((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 8) | (1 << 11) | (1 << 13) | (1 << 15));
    expect(d & 1).toBe(0); // no x87 FPU
    expect(d & ((1 << 23) | (1 << 24) | (1 << 25) | (1 << 26))).toBe(0); // no MMX FXSR SSE SSE2
  });

  it("every instruction-set feature bit matches what the core implements", () => {
    const [, , , edx] = cpuid(1);
    const features: [string, number, string][] = [
      ["FPU", 0, "Fninit"], ["MSR", 5, "Rdmsr"], ["CX8", 8, "Cmpxchg8b_m64"], ["TSC", 4, "Rdtsc"],
      ["SEP", 11, "Sysenter"], ["CMOV", 15, "Cmove_r32_rm32"], ["MMX", 23, "Emms"],
      ["FXSR", 24, "Fxsave_m512byte"], ["SSE", 25, "Addps_xmm_xmmm128"], ["SSE2", 26, "Addpd_xmm_xmmm128"],
    ];
    for (const [name, bit, code] of features) {
      // x87 codes have a handler that raises #NM/#UD (no FPU: assembly/exec/x87.ts), not an FPU
      const implemented = code in OPS && HANDLERS[OPS[code][0]][0] !== "x87NoFpu";
      expect(((edx >>> bit) & 1) === 1, `${name} is ${implemented ? "" : "not "}implemented (${code}): CPUID.1:EDX[${bit}] in assembly/exec/cpuid.ts and docs/CPUID.md must say so`).toBe(implemented);
    }
  });

  it("extended leaves: highest 0x80000008, NX in 0x80000001 EDX bit 20, brand string, 32-bit address sizes", () => {
    expect(cpuid(0x80000000)).toEqual([0x80000008, 0, 0, 0]);
    expect(cpuid(0x80000001)).toEqual([0, 0, 0, 1 << 20]);
    const brand = [0x80000002, 0x80000003, 0x80000004].flatMap((l) => cpuid(l));
    expect(ascii(...brand).replace(/\0+$/, "")).toBe("Xenolith virtual i686 CPU");
    expect(cpuid(0x80000008)).toEqual([0x2020, 0, 0, 0]);
    expect(cpuid(0x80000006)).toEqual([0, 0, 0, 0]);
  });

  it("a leaf above the highest basic or extended leaf returns the highest basic leaf's data (SDM)", () => {
    const one = cpuid(1);
    for (const leaf of [2, 4, 7, 0xb, 0x40000000, 0x7fffffff, 0x80000009, 0xffffffff]) expect(cpuid(leaf), `leaf ${leaf.toString(16)}`).toEqual(one);
  });
});

describe("RDTSC", () => {
  it("counts retired instructions (those before it) plus TSC_OFFSET", () => {
    const m = runAsm(`nop; nop; rdtsc; mov %eax, %ebx; rdtsc`);
    expect(m.reg("ebx")).toBe(2);
    expect(m.reg("eax")).toBe(4);
    expect(m.reg("edx")).toBe(0);
    const m2 = runAsm(`rdtsc`, (m) => m.core.dv.setBigUint64(L.S_TSC_OFFSET, 0x1_ffff_fffen, true));
    expect([m2.reg("eax"), m2.reg("edx")]).toEqual([0xfffffffe, 1]);
  });

  it("with CR4.TSD it is #GP(0) at CPL 3 and allowed at CPL 0", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble("rdtsc\nrdtsc", 0x1000));
    m.eip = 0x1000;
    m.setField(L.S_CR4, 1 << 2);
    expect(m.run(1n)).toBe("BUDGET");
    m.setCpl(3);
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.field(L.S_EXC_CODE)).toBe(0);
    expect(m.eip).toBe(0x1002);
  });

  it("at CPL 3 without CR4.TSD it is allowed", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble("nop\nrdtsc", 0x1000));
    m.eip = 0x1000;
    m.setCpl(3);
    expect(m.run(2n)).toBe("BUDGET");
    expect(m.reg("eax")).toBe(1);
  });
});
