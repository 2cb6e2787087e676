import { describe, it, expect } from "vitest";
import { runAsm } from "../helpers/flat.ts";
import { L } from "../../src/core/layout.gen.ts";

describe("core run loop", () => {
  it("sums 1..100 in a loop and counts retired instructions", () => {
    const m = runAsm(`
      mov $100, %ecx
      xor %eax, %eax
    1: add %ecx, %eax
      dec %ecx
      jnz 1b
      push %eax
      pop %edx
      mov %edx, 0x2000`);
    expect(m.reg("eax")).toBe(5050);
    expect(m.reg("edx")).toBe(5050);
    expect(new DataView(m.readPhys(0x2000, 4).buffer).getUint32(0, true)).toBe(5050);
    // 2 + 3*100 + 3 + hlt
    expect(m.instructions).toBe(306n);
  });

  it("re-decodes code that a store overwrote (store into the next instruction's opcode)", () => {
    const m = runAsm(`
      movb $0xb3, 1f     # mov $imm8, %al becomes mov $imm8, %bl
    1: mov $0x11, %al`);
    expect(m.reg("ebx") & 0xff).toBe(0x11);
    expect(m.reg("eax") & 0xff).toBe(0);
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBeGreaterThan(0n);
  });

  it("patches the record when a store changes only the next instruction's immediate", () => {
    const m = runAsm(`
      movb $0x42, 1f+1   # the immediate of the next instruction
    1: mov $0x11, %al`);
    expect(m.reg("eax") & 0xff).toBe(0x42);
    expect(m.u64Field(L.S_CODE_PATCHES)).toBe(1n);
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBe(0n);
  });
});
