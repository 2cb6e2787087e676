// Hardware task switches with 32-bit TSSs (SDM Vol. 3, 7.3).
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  runProt, setIdt, setGdt, gateDesc, segDesc, readDesc, read32, read16, write32, KCODE, KDATA, GDT,
  TSS, TSS_SEL, SPARE,
} from "../helpers/desc.ts";

const TSS2 = 0x14000;
const TSS2_SEL = SPARE;
const TASK_GATE = 5;

/** A second task: EIP 0x1200, flat ring 0, ESP 0x6000, EFLAGS 2, EAX 0x1234. */
function secondTask(m: Machine): void {
  setGdt(m, TSS2_SEL, segDesc(TSS2, 0x67, 0x89, 0));
  write32(m, TSS2 + 0x20, 0x1200);
  write32(m, TSS2 + 0x24, 0x2);
  write32(m, TSS2 + 0x28, 0x1234);
  write32(m, TSS2 + 0x38, 0x6000);
  for (const [i, s] of [[0, KDATA], [1, KCODE], [2, KDATA], [3, KDATA], [4, KDATA], [5, KDATA]]) write32(m, TSS2 + 0x48 + 4 * i, s);
}
const busy = (m: Machine, sel: number) => ((readDesc(m, GDT, sel >> 3)[1] >> 8) & 0xf) === 11;

describe("task switches", () => {
  it("JMP to a TSS: saves the old task, loads the new one, moves the busy bit, sets CR0.TS", () => {
    const { m } = runProt(`mov $7, %ebx; ljmp $${TSS2_SEL}, $0`, (m) => {
      secondTask(m);
      m.writePhys(0x1200, new Uint8Array([0xf4]));
    });
    expect(m.eip).toBe(0x1201);
    expect(m.field(L.S_TR_SEL)).toBe(TSS2_SEL);
    expect(m.reg("eax")).toBe(0x1234);
    expect(m.reg("esp")).toBe(0x6000);
    expect(read32(m, TSS + 0x20)).toBe(0x1000 + 12); // old EIP: after the JMP
    expect(read32(m, TSS + 0x34)).toBe(7); // old EBX
    expect(busy(m, TSS_SEL)).toBe(false);
    expect(busy(m, TSS2_SEL)).toBe(true);
    expect(m.field(L.S_CR0) & 8).toBe(8);
    expect(m.eflags & 0x4000).toBe(0);
  });

  it("CALL nests (back link, NT, old task stays busy); IRET returns to the caller", () => {
    const { m } = runProt(`lcall $${TSS2_SEL}, $0; mov $9, %ecx; hlt`, (m) => {
      secondTask(m);
      m.writePhys(0x1200, new Uint8Array([0xcf])); // iret
    });
    expect(m.eip).toBe(0x1000 + 13); // the HLT after "mov $9, %ecx"
    expect(m.reg("ecx")).toBe(9);
    expect(m.field(L.S_TR_SEL)).toBe(TSS_SEL);
    expect(read16(m, TSS2)).toBe(TSS_SEL); // back link
    expect(read32(m, TSS2 + 0x24) & 0x4000).toBe(0); // NT cleared in the saved image by IRET
    expect(busy(m, TSS2_SEL)).toBe(false);
    expect(busy(m, TSS_SEL)).toBe(true);
  });

  it("an exception through a task gate switches tasks and pushes the error code on the new stack", () => {
    const { m } = runProt(`xor %eax, %eax; mov %ax, %ss`, (m) => {
      secondTask(m);
      m.writePhys(0x1200, new Uint8Array([0xf4]));
      setIdt(m, 13, gateDesc(TSS2_SEL, 0, TASK_GATE, 0));
    });
    expect(m.eip).toBe(0x1201);
    expect(m.reg("esp")).toBe(0x6000 - 4);
    expect(read32(m, 0x6000 - 4)).toBe(0);
    expect(read32(m, TSS + 0x20)).toBe(0x1002); // the faulting MOV SS
    expect(m.eflags & 0x4000).toBe(0x4000);
  });

  it("JMP to a busy TSS: #GP(selector)", () => {
    const { m } = runProt(`ljmp $${TSS_SEL}, $0; .org 0x100; hlt`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, 0x1100, 14, 0));
    });
    expect(m.eip).toBe(0x1101);
    expect(read32(m, 0x8000 - 16)).toBe(TSS_SEL);
  });

  it("a new task whose CS is not code: #TS(CS selector) in the new task's context", () => {
    const { m } = runProt(`ljmp $${TSS2_SEL}, $0; .org 0x100; hlt`, (m) => {
      secondTask(m);
      write32(m, TSS2 + 0x4c, KDATA);
      setIdt(m, 10, gateDesc(KCODE, 0x1100, 14, 0));
    });
    expect(m.field(L.S_TR_SEL)).toBe(TSS2_SEL);
    expect(m.eip).toBe(0x1101);
    void SPARE;
  });
});
