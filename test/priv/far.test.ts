// Far JMP/CALL/RET and IRET (SDM Vol. 2; Vol. 3, 5.8 call gates).
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  runProt, setIdt, setGdt, gateDesc, segDesc, read32, KCODE, KDATA, UCODE, UDATA, SPARE,
} from "../helpers/desc.ts";

const HANDLER = 0x1100;
const CALL_GATE = 12;
function run(code: string, setup?: (m: Machine) => void, budget = 10_000n) {
  return runProt(`${code}\nhlt\n.org 0x100\nhlt\n.org 0x200\n`, (m) => {
    for (const v of [10, 11, 12, 13]) setIdt(m, v, gateDesc(KCODE, HANDLER, 14, 0));
    setup?.(m);
  }, budget).m;
}
const faulted = (m: Machine): [number, number] | null =>
  m.eip === HANDLER + 1 ? [m.field(L.S_EXC_VECTOR), read32(m, m.reg("esp"))] : null;
const sel = (m: Machine, s: number) => m.field(L.S_SEG_SEL + 4 * s);
const ring3 = (m: Machine) => {
  m.setSegment(1, UCODE, 0, 0xffffffff, 0xc0fb);
  for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, UDATA, 0, 0xffffffff, 0xc0f3);
  m.setCpl(3);
  m.setReg("esp", 0x7000);
};

describe("far JMP and CALL to code segments", () => {
  it("JMP ptr16:32 to another ring 0 code segment with a base", () => {
    const m = run(`ljmp $${SPARE}, $0x10`, (m) => {
      setGdt(m, SPARE, segDesc(0x1000, 0xfff, 0x9a, 0x4));
      m.writePhys(0x1010, new Uint8Array([0xf4])); // hlt at SPARE:0x10
    });
    expect(sel(m, 1)).toBe(SPARE);
    expect(m.eip).toBe(0x11);
  });
  it("CALL m16:32 pushes CS and EIP; RETF returns", () => {
    const m = run(`movl $0x1200, 0x3000; movw $${KCODE}, 0x3004; lcall *0x3000; mov $7, %eax`, (m) => {
      m.writePhys(0x1200, new Uint8Array([0xcb])); // lret
    });
    expect(m.reg("eax")).toBe(7);
    expect(m.reg("esp")).toBe(0x8000);
    expect(read32(m, 0x8000 - 4)).toBe(KCODE);
    expect(read32(m, 0x8000 - 8)).toBe(0x1000 + 25); // after the 10 + 9 + 6 bytes
  });
  it("a non-conforming segment with DPL ≠ CPL: #GP(selector)", () => {
    expect(faulted(run(`ljmp $${UCODE}, $0x1200`))).toEqual([13, UCODE & ~3]);
  });
  it("RPL > CPL for a non-conforming segment: #GP(selector)", () => {
    expect(faulted(run(`ljmp $${KCODE | 1}, $0x1200`))).toEqual([13, KCODE]);
  });
  it("a conforming segment with DPL ≤ CPL keeps the CPL (CS.RPL = CPL)", () => {
    const m = run(`ljmp $${SPARE}, $0x1200`, (m) => {
      setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e));
      m.writePhys(0x1200, new Uint8Array([0xeb, 0xfe])); // jmp .
      ring3(m);
    });
    expect(sel(m, 1)).toBe(SPARE | 3);
    expect(m.field(L.S_CPL)).toBe(3);
  });
  it("an offset past the limit: #GP(0); not present: #NP(selector); data: #GP(selector)", () => {
    expect(faulted(run(`ljmp $${SPARE}, $0x2000`, (m) => setGdt(m, SPARE, segDesc(0, 0xfff, 0x9a, 0x4))))).toEqual([13, 0]);
    expect(faulted(run(`ljmp $${SPARE}, $0x10`, (m) => setGdt(m, SPARE, segDesc(0, 0xfff, 0x1a, 0x4))))).toEqual([11, SPARE]);
    expect(faulted(run(`ljmp $${KDATA}, $0x10`))).toEqual([13, KDATA]);
  });
});

describe("call gates", () => {
  const gate = (m: Machine, dpl: number, params: number, present = true) =>
    setGdt(m, SPARE, gateDesc(KCODE, 0x1200, CALL_GATE, dpl, present, params));
  it("CALL from ring 3 to ring 0: new stack from the TSS, SS:ESP, parameters, CS:EIP", () => {
    const m = run(`pushl $0x11; pushl $0x22; lcall $${SPARE | 3}, $0`, (m) => {
      gate(m, 3, 2);
      m.writePhys(0x1200, new Uint8Array([0xf4])); // hlt
      ring3(m);
    });
    expect(m.field(L.S_CPL)).toBe(0);
    expect(sel(m, 1)).toBe(KCODE);
    expect(sel(m, 2)).toBe(KDATA);
    expect(m.reg("esp")).toBe(0x9000 - 24);
    expect([0, 4, 8, 12, 16, 20].map((o) => read32(m, 0x9000 - 24 + o)))
      .toEqual([0x1000 + 11, UCODE, 0x22, 0x11, 0x7000 - 8, UDATA]);
  });
  it("RETF imm16 from ring 0 back to ring 3 releases the parameters on both stacks", () => {
    const m = run(`pushl $0x11; pushl $0x22; lcall $${SPARE | 3}, $0; jmp .`, (m) => {
      gate(m, 3, 2);
      m.writePhys(0x1200, new Uint8Array([0xca, 0x08, 0x00])); // lret $8
      ring3(m);
    }, 200n);
    expect(m.field(L.S_CPL)).toBe(3);
    expect(sel(m, 1)).toBe(UCODE);
    expect(sel(m, 2)).toBe(UDATA);
    expect(m.reg("esp")).toBe(0x7000);
    expect(m.eip).toBe(0x1000 + 11);
  });
  it("gate DPL < CPL: #GP(gate selector); not present: #NP(gate selector)", () => {
    expect(faulted(run(`lcall $${SPARE | 3}, $0`, (m) => { gate(m, 0, 0); ring3(m); }))).toEqual([13, SPARE]);
    expect(faulted(run(`lcall $${SPARE}, $0`, (m) => gate(m, 0, 0, false)))).toEqual([11, SPARE]);
  });
  it("JMP through a gate to a more privileged non-conforming segment: #GP(code selector)", () => {
    expect(faulted(run(`ljmp $${SPARE | 3}, $0`, (m) => { gate(m, 3, 0); ring3(m); }))).toEqual([13, KCODE]);
  });
  it("same-privilege CALL through a gate pushes only CS:EIP", () => {
    const m = run(`lcall $${SPARE}, $0`, (m) => {
      gate(m, 0, 3);
      m.writePhys(0x1200, new Uint8Array([0xf4]));
    });
    expect(m.reg("esp")).toBe(0x8000 - 8);
    expect(read32(m, 0x8000 - 4)).toBe(KCODE);
  });
});

describe("IRET", () => {
  it("to the same ring pops EIP, CS, EFLAGS", () => {
    const m = run(`pushl $0x8c3; pushl $${KCODE}; pushl $0x1100; iret`);
    expect(m.eip).toBe(HANDLER + 1);
    expect(m.eflags & 0xfff).toBe(0x8c3);
    expect(m.reg("esp")).toBe(0x8000);
  });
  it("to ring 3 loads SS:ESP; at CPL 3 with IOPL 0 a later IRET leaves IF and IOPL alone", () => {
    const m = run(`pushl $${UDATA}; pushl $0x7000; pushl $2; pushl $${UCODE}; pushl $0x1200; iret`, (m) => {
      // ring 3: IRET to itself with IF and IOPL 3 in the image
      m.writePhys(0x1200, new Uint8Array([
        0x68, 0x02, 0x32, 0, 0, // push $0x3202
        0x6a, UCODE,            // push $UCODE
        0x68, 0x10, 0x12, 0, 0, // push $0x1210
        0xcf,                   // iret
      ]));
      m.writePhys(0x1210, new Uint8Array([0xeb, 0xfe]));
    }, 200n);
    expect(m.field(L.S_CPL)).toBe(3);
    expect(m.eip).toBe(0x1210);
    expect(m.eflags & 0x3200).toBe(0);
    expect(sel(m, 2)).toBe(UDATA);
  });
  it("a return CS with RPL < CPL: #GP(selector)", () => {
    const m = run(`pushl $2; pushl $${KCODE}; pushl $0x1200; iret`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, HANDLER, 14, 0));
      ring3(m);
    });
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(read32(m, 0x9000 - 24)).toBe(KCODE);
  });
});
