// Code tracking inside a page (assembly/mmu/phys.ts, CODE_MAP): a store invalidates a page's
// decoded blocks only when it touches a 16-byte chunk decoded code came from. Data that shares a
// page with code stays cheap; self-modifying code stays exact.
import { describe, it, expect } from "vitest";
import { runAsm } from "../helpers/flat.ts";
import { L } from "../../src/core/layout.gen.ts";

describe("code map", () => {
  it("a counter beside a loop in the same page does not invalidate the loop", () => {
    // the loop is at 0x1000..; the counter 0x200 bytes later in the same page
    const m = runAsm(`
      mov $1000, %ecx
    1: incl 0x1200
      dec %ecx
      jnz 1b
    `);
    expect(Array.from(m.readPhys(0x1200, 4))).toEqual([0xe8, 0x03, 0, 0]); // 1000
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBe(0n);
    expect(Number(m.u64Field(L.S_BLOCKS_DECODED))).toBeLessThan(10);
  });

  it("a store into the next instruction's immediate is seen (same chunk, same block)", () => {
    // each iteration rewrites the imm32 of the `add` right after the store
    const m = runAsm(`
      mov $100, %ecx
      xor %eax, %eax
    1: mov %ecx, 2f+1
    2: add $0x12345678, %eax  # imm32: the store rewrites it
      dec %ecx
      jnz 1b
    `);
    expect(m.reg("eax")).toBe((100 * 101) / 2);
    // only the immediate's bytes change: the record is patched in place (test/mmu/patch.test.ts)
    expect(Number(m.u64Field(L.S_CODE_PATCHES))).toBe(100);
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBe(0n);
  });

  it("a store one chunk away from code does not invalidate, into the chunk does", () => {
    // code occupies [0x1000, 0x1000 + n); the first store hits 0x1040 (no code there), the second
    // overwrites the `nop` at label 3 with `inc %ebx` (0x43) before it runs
    const m = runAsm(`
      xor %ebx, %ebx
      movb $0x90, 0x1040
      movb $0x43, 3f
    3: nop
    `);
    expect(m.reg("ebx")).toBe(1);
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBe(1n);
  });
});
