// Segment register loads (SDM Vol. 2, MOV/POP/LDS; Vol. 3, 5.4-5.6): checks, faults, caches.
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  runProt, setIdt, setGdt, gateDesc, segDesc, readDesc, read32, write32, KCODE, KDATA, UCODE, UDATA,
  SPARE, TSS_SEL, GDT, LDT,
} from "../helpers/desc.ts";

const HANDLER = 0x1100;
/** Run `code` with every exception vector going to a ring 0 HLT at 0x1100. */
function run(code: string, setup?: (m: Machine) => void) {
  return runProt(`${code}\nhlt\n.org 0x100\nhlt`, (m) => {
    for (const v of [10, 11, 12, 13]) setIdt(m, v, gateDesc(KCODE, HANDLER, 14, 0));
    setup?.(m);
  }).m;
}
/** The exception taken: [vector, error code], or null if the code ran to its own HLT. */
function taken(m: Machine): [number, number] | null {
  if (m.eip !== HANDLER + 1) return null;
  return [m.field(L.S_EXC_VECTOR), read32(m, 0x8000 - 16)];
}
const sel = (m: Machine, s: number) => m.field(L.S_SEG_SEL + 4 * s);
const base = (m: Machine, s: number) => m.field(L.S_SEG_BASE + 4 * s);
const limit = (m: Machine, s: number) => m.field(L.S_SEG_LIMIT + 4 * s);

describe("MOV to DS/ES/FS/GS", () => {
  it("loads base, limit (granularity applied) and sets the accessed bit", () => {
    const m = run(`mov $${SPARE}, %ax; mov %ax, %ds`, (m) => setGdt(m, SPARE, segDesc(0x123000, 0x4, 0x92)));
    expect(taken(m)).toBeNull();
    expect([sel(m, 3), base(m, 3), limit(m, 3)]).toEqual([SPARE, 0x123000, 0x4fff]);
    expect(readDesc(m, GDT, SPARE >> 3)[1] & 0x100).toBe(0x100);
  });
  it("a null selector loads an unusable register; using it is #GP(0)", () => {
    const m = run(`xor %eax, %eax; mov %ax, %fs; mov %fs:0, %eax`);
    expect(taken(m)).toEqual([13, 0]);
    expect(read32(m, 0x8000 - 12)).toBe(0x1004); // the faulting MOV
  });
  it("past the GDT limit: #GP(selector)", () => {
    const m = run(`mov $0x83, %ax; mov %ax, %ds`);
    expect(taken(m)).toEqual([13, 0x80]);
  });
  it("execute-only code: #GP(selector); readable code is allowed", () => {
    expect(taken(run(`mov $${SPARE}, %ax; mov %ax, %es`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x98))))).toEqual([13, SPARE]);
    expect(taken(run(`mov $${SPARE}, %ax; mov %ax, %es`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9a))))).toBeNull();
  });
  it("a system descriptor (TSS): #GP(selector)", () => {
    expect(taken(run(`mov $${TSS_SEL}, %ax; mov %ax, %gs`))).toEqual([13, TSS_SEL]);
  });
  it("data with DPL < CPL or DPL < RPL: #GP(selector); conforming code is exempt", () => {
    expect(taken(run(`mov $${KDATA | 3}, %ax; mov %ax, %ds`))).toEqual([13, KDATA]);
    expect(taken(run(`mov $${SPARE | 3}, %ax; mov %ax, %ds`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e))))).toBeNull();
  });
  it("not present: #NP(selector)", () => {
    expect(taken(run(`mov $${SPARE}, %ax; mov %ax, %ds`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x12))))).toEqual([11, SPARE]);
  });
  it("an LDT selector uses the LDT (LLDT) and its limit", () => {
    const m = run(`mov $${SPARE}, %ax; lldt %ax; mov $0x0c, %ax; mov %ax, %ds; mov $0x14, %ax; mov %ax, %es`, (m) => {
      setGdt(m, SPARE, segDesc(LDT, 15, 0x82, 0));
      const b = new Uint8Array(8);
      const [lo, hi] = segDesc(0x5000, 0xff, 0x92, 0);
      new DataView(b.buffer).setUint32(0, lo, true);
      new DataView(b.buffer).setUint32(4, hi, true);
      m.writePhys(LDT + 8, b);
    });
    expect(base(m, 3)).toBe(0x5000);
    expect(taken(m)).toEqual([13, 0x14]);
  });
  it("MOV CS is #UD", () => {
    const m = run(`.byte 0x8e, 0xc8`, (m) => setIdt(m, 6, gateDesc(KCODE, HANDLER, 14, 0)));
    expect(m.field(L.S_EXC_VECTOR)).toBe(6);
  });
});

describe("MOV / POP / LSS to SS", () => {
  it("null: #GP(0)", () => expect(taken(run(`xor %eax, %eax; mov %ax, %ss`))).toEqual([13, 0]));
  it("RPL ≠ CPL or DPL ≠ CPL: #GP(selector without RPL)", () => {
    expect(taken(run(`mov $${UDATA}, %ax; mov %ax, %ss`))).toEqual([13, UDATA & ~3]);
    expect(taken(run(`mov $${KDATA | 1}, %ax; mov %ax, %ss`))).toEqual([13, KDATA]);
  });
  it("read-only data or code: #GP(selector)", () => {
    expect(taken(run(`mov $${SPARE}, %ax; mov %ax, %ss`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x90))))).toEqual([13, SPARE]);
    expect(taken(run(`mov $${KCODE}, %ax; mov %ax, %ss`))).toEqual([13, KCODE]);
  });
  it("not present: #SS(selector)", () => {
    expect(taken(run(`mov $${SPARE}, %ax; mov %ax, %ss`, (m) => setGdt(m, SPARE, segDesc(0, 0xfffff, 0x12))))).toEqual([12, SPARE]);
  });
  it("POP SS: a fault leaves ESP unchanged; success pops", () => {
    const m = run(`pushl $0; pop %ss`);
    // #GP(0) frame below the pushed dword: ESP was not moved by the failed POP
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.reg("esp")).toBe(0x7ffc - 16);
    expect(read32(m, 0x7ffc - 16)).toBe(0);
    const ok = run(`pushl $${KDATA}; pop %ss; mov %esp, %ebx`);
    expect(ok.reg("ebx")).toBe(0x8000);
  });
  it("LSS loads SS:ESP from memory; LDS DS:reg", () => {
    const m = run(`movl $0x6000, 0x3000; movw $${KDATA}, 0x3004; lss 0x3000, %esp; lds 0x3000, %ecx`);
    expect(taken(m)).toBeNull();
    expect(m.reg("esp")).toBe(0x6000);
    expect(m.reg("ecx")).toBe(0x6000);
  });
});

describe("reading segment registers", () => {
  it("MOV r32, Sreg zero-extends; MOV m16, Sreg stores 16 bits", () => {
    const m = run(`mov $-1, %eax; mov %ds, %eax; movl $-1, 0x3000; mov %ss, 0x3000`);
    expect(m.reg("eax")).toBe(KDATA);
    expect(read32(m, 0x3000)).toBe((0xffff0000 | KDATA) >>> 0);
  });
  it("PUSH Sreg with a 32-bit operand moves ESP by 4 and writes 16 bits; POP DS", () => {
    const m = run(`pushl $-1; pop %eax; push %ds; pop %ebx; push %es; pop %ds`);
    expect(m.reg("ebx")).toBe((0xffff0000 | KDATA) >>> 0);
    expect(m.reg("esp")).toBe(0x8000);
  });
});

describe("returning to an outer ring nulls inner data segments", () => {
  it("IRET to ring 3 nulls DS/ES holding DPL 0 data, keeps FS holding DPL 3 data", () => {
    const m = runProt(`
      mov $${UDATA}, %ax; mov %ax, %fs
      pushl $${UDATA}; pushl $0x7000; pushl $2; pushl $${UCODE}; pushl $0x1100
      iret
      .org 0x100
      jmp .`);
    expect(m.m.field(L.S_CPL)).toBe(3);
    expect([sel(m.m, 0), sel(m.m, 3), sel(m.m, 4)]).toEqual([0, 0, UDATA]);
    void KCODE;
  });
});
