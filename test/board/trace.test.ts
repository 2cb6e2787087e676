import { describe, it, expect } from "vitest";
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { peekTranslate } from "../../src/board/trace.ts";

const w32 = (m: Machine, ma: number, v: number) => new DataView(m.u8.buffer).setUint32(L.RAM_BASE + ma, v >>> 0, true);

describe("peekTranslate (the tracer's side-effect-free page walk)", () => {
  it("paging off: linear = machine address, inside RAM only", () => {
    const m = new Machine({ ramBytes: 1 << 20 });
    expect(peekTranslate(m, 0x1234)).toBe(0x1234);
    expect(peekTranslate(m, 0x100000)).toBe(-1);
  });

  it("2-level paging with 4 KiB and 4 MiB pages, without touching A/D bits", () => {
    const m = new Machine({ ramBytes: 16 << 20 });
    m.setField(L.S_CR3, 0x10000);
    m.setField(L.S_CR0, 0x80000011);
    w32(m, 0x10000 + 0x300 * 4, 0x11000 | 1);             // PDE for 0xC0000000 → page table
    w32(m, 0x11000 + 5 * 4, 0x345000 | 1);                // PTE 5
    w32(m, 0x10000 + 1 * 4, 0x800000 | 0x80 | 1);         // 4 MiB page at 0x400000
    expect(peekTranslate(m, 0xc0005abc)).toBe(0x345abc);
    expect(peekTranslate(m, 0xc0006000)).toBe(-1);
    expect(peekTranslate(m, 0x401234)).toBe(-1);          // PS ignored without CR4.PSE: the PDE points to a table of zeroes
    m.setField(L.S_CR4, 1 << 4);
    expect(peekTranslate(m, 0x401234)).toBe(0x801234);
    expect(m.readPhys(0x11000 + 5 * 4, 1)[0] & 0x60).toBe(0); // no accessed/dirty bits set
  });

  it("PAE paging with 2 MiB pages", () => {
    const m = new Machine({ ramBytes: 16 << 20 });
    m.setField(L.S_CR3, 0x20000);
    m.setField(L.S_CR4, 1 << 5);
    m.setField(L.S_CR0, 0x80000011);
    w32(m, 0x20000 + 3 * 8, 0x21000 | 1);                 // PDPTE 3 (0xC0000000)
    w32(m, 0x21000 + 1 * 8, 0x600000 | 0x80 | 1);         // 2 MiB page at 0xC0200000
    w32(m, 0x21000 + 0 * 8, 0x22000 | 1);
    w32(m, 0x22000 + 7 * 8, 0x777000 | 1);
    expect(peekTranslate(m, 0xc0212345)).toBe(0x612345);
    expect(peekTranslate(m, 0xc0007001)).toBe(0x777001);
    expect(peekTranslate(m, 0x00007001)).toBe(-1);
  });
});
