// Behaviours the differential test found the core getting wrong (checked against the host CPU).
import { describe, it, expect } from "vitest";
import { Emu } from "../diff/emu.ts";
import { REGION, PAGE_W, PAGE_X, FILL_INT3, type CasePage, type Poke } from "../diff/protocol.ts";

const EIP = REGION.CODE.base + 0x100;
function run(bytes: number[], regs: Partial<Record<number, number>>, eflags: number, pages: CasePage[], pokes: Poke[] = []) {
  const r = [0, 0, 0, 0, REGION.DATA.base + 0x800, 0, 0, 0];
  for (const [k, v] of Object.entries(regs)) r[Number(k)] = v!;
  const out = new Emu().run({
    index: 0, form: "t", bytes: new Uint8Array(bytes), eip: EIP, regs: r, eflags,
    pages: [{ addr: REGION.CODE.base, flags: PAGE_W | PAGE_X, fill: FILL_INT3 }, { addr: REGION.DATA.base, flags: PAGE_W, fill: 5 }, ...pages],
    pokes,
  });
  if (out.kind !== "result") throw new Error(JSON.stringify(out));
  return out.result;
}
const LOW_TOP = { addr: 0xf000, flags: PAGE_W, fill: 7 };

describe("far pointers with 16-bit addressing", () => {
  it("JMP m16:16 at 0xFFFE reads the selector at 0x0000 (the offset wraps at 64K)", () => {
    const r = run([0x67, 0x66, 0xff, 0x2e, 0xfe, 0xff], {}, 0x202, [LOW_TOP]); // ljmpw *0xfffe
    expect([r.vector, r.err, r.cr2, r.eip]).toEqual([14, 4, 0, EIP]);
  });
  it("LDS r16, m16:16 at 0xFFFE reads the selector at 0x0000", () => {
    const r = run([0x66, 0x67, 0xc5, 0x1e, 0xfe, 0xff], {}, 0x202, [LOW_TOP]); // lds 0xfffe, %bx
    expect([r.vector, r.err, r.cr2]).toEqual([14, 4, 0]);
  });
});

describe("PUSH Sreg with a 32-bit operand and EFLAGS.AC", () => {
  it("checks the alignment of the 4-byte slot, though it writes 2 bytes", () => {
    const r = run([0x06], { 4: REGION.DATA.base + 0x802 }, 0x40202, []); // push %es
    expect([r.vector, r.regs[4], r.mem.length]).toEqual([17, REGION.DATA.base + 0x802, 0]);
  });
});

describe("ARPL with a memory destination", () => {
  it("does not write (nor fault on a read-only page) when the RPL is already high enough", () => {
    // arpl %dx, (%eax): destination RPL 3 ≥ source RPL 0
    const r = run([0x63, 0x10], { 0: REGION.DATA.base + 0x1010, 2: 0x0 }, 0x202, [{ addr: REGION.DATA.base + 0x1000, flags: 0, fill: 9 }],
      [{ addr: REGION.DATA.base + 0x1010, value: 0x2b, size: 2 }]);
    expect([r.vector, r.eflags & 0x40]).toEqual([-1, 0]);
  });
  it("reads before it writes: an unmapped destination faults as a read", () => {
    const r = run([0x63, 0x10], { 0: REGION.DATA.base + 0x7010, 2: 0x3 }, 0x202, []);
    expect([r.vector, r.err]).toEqual([14, 4]);
  });
});
