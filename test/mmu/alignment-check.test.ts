// #AC (SDM Vol. 3, 6.15): CR0.AM and EFLAGS.AC set, a misaligned data access at CPL 3 raises
// #AC(0) — before the page-table check, as the host CPU does (found by the differential test).
import { describe, it, expect } from "vitest";
import { Emu } from "../diff/emu.ts";
import { REGION, PAGE_W, PAGE_X, FILL_INT3 } from "../diff/protocol.ts";
import { L } from "../../src/core/layout.gen.ts";

const AC = 0x40000;
function run(bytes: number[], eax: number, eflags: number) {
  const emu = new Emu();
  return emu.run({
    index: 0, form: "t", bytes: new Uint8Array(bytes), eip: REGION.CODE.base + 0x100,
    regs: [eax, 0, 0, 0x11223344, REGION.DATA.base + 0x800, 0, 0, 0], eflags,
    pages: [{ addr: REGION.CODE.base, flags: PAGE_W | PAGE_X, fill: FILL_INT3 }, { addr: REGION.DATA.base, flags: PAGE_W, fill: 3 }],
    pokes: [],
  });
}
const LOAD = [0x8b, 0x18];   // mov (%eax), %ebx
const STORE = [0x66, 0x89, 0x18]; // mov %bx, (%eax)

describe("alignment check at CPL 3", () => {
  it("a misaligned load with AC set raises #AC(0) and changes nothing", () => {
    const out = run(LOAD, REGION.DATA.base + 0x101, 0x202 | AC);
    expect(out.kind === "result" && [out.result.vector, out.result.err, out.result.regs[3]]).toEqual([17, 0, 0x11223344]);
  });
  it("a misaligned load after an aligned one from the same page (its TLB entry loaded) raises #AC", () => {
    // mov (%ecx), %ebx runs as the case's one instruction; then mov (%eax), %ebx meets a TLB hit
    // (with translation: the inline fast path of a translated block)
    const emu = new Emu();
    const first = emu.run({
      index: 0, form: "t", bytes: new Uint8Array([0x8b, 0x19, ...LOAD]), eip: REGION.CODE.base + 0x100,
      regs: [REGION.DATA.base + 0x101, REGION.DATA.base + 0x104, 0, 0x11223344, REGION.DATA.base + 0x800, 0, 0, 0], eflags: 0x202 | AC,
      pages: [{ addr: REGION.CODE.base, flags: PAGE_W | PAGE_X, fill: FILL_INT3 }, { addr: REGION.DATA.base, flags: PAGE_W, fill: 3 }],
      pokes: [],
    });
    expect(first.kind === "result" && first.result.vector).toBe(-1);
    expect(emu.m.run(10n)).toBe("EXCEPTION"); // (the bytes after it are INT3)
    expect([emu.m.field(L.S_EXC_VECTOR), emu.m.eip]).toEqual([17, REGION.CODE.base + 0x102]);
  });
  it("#AC comes before #PF on an unmapped page", () => {
    const out = run(STORE, REGION.DATA.base + 0x5001, 0x202 | AC);
    expect(out.kind === "result" && out.result.vector).toBe(17);
  });
  it("aligned accesses, or AC clear, do not fault", () => {
    const a = run(LOAD, REGION.DATA.base + 0x104, 0x202 | AC);
    const b = run(LOAD, REGION.DATA.base + 0x101, 0x202);
    expect(a.kind === "result" && a.result.vector).toBe(-1);
    expect(b.kind === "result" && b.result.vector).toBe(-1);
  });
  it("a misaligned store with AC set writes nothing", () => {
    const out = run(STORE, REGION.DATA.base + 0x103, 0x202 | AC);
    expect(out.kind === "result" && [out.result.vector, out.result.mem.length]).toEqual([17, 0]);
  });
});

describe("alignment check of CMPXCHG8B", () => {
  it("checks the 8-byte operand: 4-aligned but not 8-aligned raises #AC", () => {
    const out = run([0x0f, 0xc7, 0x08], REGION.DATA.base + 0x104, 0x202 | AC); // cmpxchg8b (%eax)
    expect(out.kind === "result" && out.result.vector).toBe(17);
  });
});
