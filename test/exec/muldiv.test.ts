// MUL/IMUL/DIV/IDIV against the SDM's rules (hand-written) and against the host CPU (random).
import { describe, it, expect } from "vitest";
import { flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import { nativeUnavailable, crossCheck, randomInputs } from "../helpers/native.ts";

const CF = 1, OF = 0x800;
type Regs = Partial<Record<"eax" | "ebx" | "ecx" | "edx" | "esi", number>>;

/** Run one instruction; returns the machine and the exit (HLT, or EXCEPTION with the vector). */
function exec(src: string, regs: Regs, flags = 0) {
  const m = flatMachine();
  m.writePhys(0x1000, assemble(`${src}\nhlt`, 0x1000));
  for (const [r, v] of Object.entries(regs)) m.setReg(r as keyof Regs, v!);
  m.eflags = 2 | flags;
  m.eip = 0x1000;
  const exit = m.run(10n);
  return { m, exit, vector: exit === "EXCEPTION" ? m.field(L.S_EXC_VECTOR) : -1 };
}

describe("MUL/IMUL (SDM rules)", () => {
  it("MUL: CF = OF = the upper half is not zero", () => {
    const a = exec("mul %cl", { eax: 0x80, ecx: 2 });
    expect(a.m.reg("eax")).toBe(0x100);
    expect(a.m.eflags & (CF | OF)).toBe(CF | OF);
    const b = exec("mul %cl", { eax: 0xffff0002, ecx: 3 });
    expect(b.m.reg("eax")).toBe(0xffff0006);
    expect(b.m.eflags & (CF | OF)).toBe(0);
    const c = exec("mul %ecx", { eax: 0xffffffff, ecx: 0xffffffff });
    expect([c.m.reg("edx"), c.m.reg("eax")]).toEqual([0xfffffffe, 1]);
    const d = exec("mul %bx", { eax: 0x1234ffff, ebx: 0x10, edx: 0xabcd0000 });
    expect([d.m.reg("edx"), d.m.reg("eax")]).toEqual([0xabcd000f, 0x1234fff0]);
  });
  it("IMUL one operand: CF = OF = the product is not the sign extension of its low half", () => {
    const a = exec("imul %cl", { eax: 0xff, ecx: 2 });
    expect(a.m.reg("eax")).toBe(0xfffe);
    expect(a.m.eflags & (CF | OF)).toBe(0);
    const b = exec("imul %cl", { eax: 0x40, ecx: 2 });
    expect(b.m.reg("eax")).toBe(0x80);
    expect(b.m.eflags & (CF | OF)).toBe(CF | OF);
    const c = exec("imul %ecx", { eax: 0x80000000, ecx: 0xffffffff });
    expect([c.m.reg("edx"), c.m.reg("eax")]).toEqual([0, 0x80000000]);
    expect(c.m.eflags & (CF | OF)).toBe(CF | OF);
  });
  it("IMUL r, r/m and r, r/m, imm: truncated product, CF = OF = truncated", () => {
    const a = exec("imul %ecx, %eax", { eax: 0x10000, ecx: 0x10000 });
    expect(a.m.reg("eax")).toBe(0);
    expect(a.m.eflags & (CF | OF)).toBe(CF | OF);
    const b = exec("imul $-1, %ecx, %eax", { ecx: 0x80000000 });
    expect(b.m.reg("eax")).toBe(0x80000000);
    expect(b.m.eflags & (CF | OF)).toBe(CF | OF);
    const c = exec("imul $-2, %bx, %ax", { eax: 0xaaaa0000, ebx: 3 });
    expect(c.m.reg("eax")).toBe(0xaaaafffa);
    expect(c.m.eflags & (CF | OF)).toBe(0);
    const d = exec("imul $1000, %si, %dx", { esi: 100, edx: 0 });
    expect(d.m.reg("edx")).toBe(100000 & 0xffff);
    expect(d.m.eflags & (CF | OF)).toBe(CF | OF);
  });
});

describe("DIV/IDIV (SDM rules)", () => {
  it("divides: quotient and remainder in AL/AH, AX/DX, EAX/EDX", () => {
    const a = exec("div %cl", { eax: 1000, ecx: 7 });
    expect(a.m.reg("eax") & 0xffff).toBe((1000 % 7) << 8 | Math.floor(1000 / 7));
    const b = exec("div %ecx", { edx: 1, eax: 0, ecx: 3 });
    expect([b.m.reg("eax"), b.m.reg("edx")]).toEqual([Math.floor(2 ** 32 / 3), 2 ** 32 % 3]);
    const c = exec("idiv %cx", { edx: 0xffff, eax: 0xfff9, ecx: 2 }); // -7 / 2
    expect([c.m.reg("eax") & 0xffff, c.m.reg("edx") & 0xffff]).toEqual([0xfffd, 0xffff]); // -3, -1
    const d = exec("idiv %cl", { eax: 0xff00, ecx: 2 }); // -256 / 2 = -128 fits
    expect(d.m.reg("eax") & 0xffff).toBe(0x0080);
  });
  it("#DE on a zero divisor, with nothing changed and EIP at the instruction", () => {
    for (const src of ["div %cl", "div %cx", "div %ecx", "idiv %cl", "idiv %cx", "idiv %ecx"]) {
      const r = exec(src, { eax: 5, edx: 7, ecx: 0 });
      expect(r.vector, src).toBe(0);
      expect(r.m.eip).toBe(0x1000);
      expect([r.m.reg("eax"), r.m.reg("edx")]).toEqual([5, 7]);
    }
  });
  it("#DE when the quotient does not fit", () => {
    expect(exec("div %cl", { eax: 0x100, ecx: 1 }).vector).toBe(0);
    expect(exec("div %cx", { edx: 1, eax: 0, ecx: 1 }).vector).toBe(0);
    expect(exec("div %ecx", { edx: 5, eax: 0, ecx: 5 }).vector).toBe(0);
    expect(exec("idiv %cl", { eax: 0xff80, ecx: 0xff }).vector).toBe(0);                    // -128 / -1
    expect(exec("idiv %cx", { edx: 0xffff, eax: 0x8000, ecx: 0xffff }).vector).toBe(0);     // -2^15 / -1
    expect(exec("idiv %ecx", { edx: 0xffffffff, eax: 0x80000000, ecx: 0xffffffff }).vector).toBe(0); // -2^31 / -1
    expect(exec("idiv %ecx", { edx: 0x80000000, eax: 0, ecx: 0xffffffff }).vector).toBe(0); // -2^63 / -1
    expect(exec("idiv %cl", { eax: 0x80, ecx: 1 }).vector).toBe(0);                         // +128 / 1
    expect(exec("idiv %cl", { eax: 0x7f, ecx: 1 }).vector).toBe(-1);
  });
});

const why = nativeUnavailable();
describe.skipIf(why !== null)("MUL/IMUL/DIV/IDIV against the host CPU", () => {
  it("agrees on results, #DE and the defined flags", () => {
    const muls = ["mul %cl", "mul %bh", "mul %cx", "mul %ecx", "imul %cl", "imul %bx", "imul %esi", "mulb scratch", "mulw scratch+1",
      "imull scratch+4", "imul %ecx, %eax", "imul %cx, %ax", "imul %eax, %eax", "imul $-3, %ecx, %eax", "imul $1000, %si, %ax",
      "imul $0x12345, scratch, %edx", "imul $-1, %ebx, %ebx", "imul $127, %di, %di", "imulw scratch, %bp", "imul scratch+8, %esi"];
    const divs = ["div %cl", "div %ch", "div %cx", "div %ecx", "idiv %cl", "idiv %cx", "idiv %ecx", "divb scratch", "divw scratch+2",
      "idivl scratch", "idivw scratch+6", "idivb scratch+9"];
    // MUL/IMUL define CF and OF only; DIV/IDIV define no flag
    const bad = crossCheck([...muls, ...divs], randomInputs(1500, 21), (b) => (b.includes("div") ? 0 : CF | OF));
    expect(bad).toEqual([]);
  });
});
if (why) console.warn(why);
