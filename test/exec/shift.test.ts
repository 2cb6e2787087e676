// Shifts and rotates against the SDM's rules (hand-written) and against the host CPU (random).
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine, FLAT_DATA32 } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { nativeUnavailable, crossCheck, randomInputs, ARITH_FLAGS, type CpuIn } from "../helpers/native.ts";

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/** Run `src` with EAX/EBX/ECX/EDX and EFLAGS preset; return the machine. */
function run(src: string, regs: { eax?: number; ebx?: number; ecx?: number; edx?: number; flags?: number }) {
  return runAsm(src, (m) => {
    for (const r of ["eax", "ebx", "ecx", "edx"] as const) if (regs[r] !== undefined) m.setReg(r, regs[r]!);
    m.eflags = 2 | (regs.flags ?? 0);
  });
}

describe("shifts (SDM rules)", () => {
  it("SHL by 1: CF = bit shifted out, OF = MSB(result) XOR CF", () => {
    const m = run("shl $1, %al", { eax: 0x81 });
    expect(m.reg("eax") & 0xff).toBe(0x02);
    expect(m.eflags & (CF | OF | ZF | SF)).toBe(CF | OF);
  });
  it("SHR by 1: OF = MSB of the original operand; SAR by 1: OF = 0, sign fills", () => {
    const a = run("shr $1, %al", { eax: 0x81 });
    expect(a.reg("eax") & 0xff).toBe(0x40);
    expect(a.eflags & (CF | OF)).toBe(CF | OF);
    const b = run("sar $1, %al", { eax: 0x81 });
    expect(b.reg("eax") & 0xff).toBe(0xc0);
    expect(b.eflags & (CF | OF | SF)).toBe(CF | SF);
  });
  it("SF ZF PF follow the result; CF is the last bit out for count n", () => {
    const m = run("shl %cl, %eax", { eax: 0x80000001, ecx: 31 });
    expect(m.reg("eax")).toBe(0x80000000);
    expect(m.eflags & (CF | ZF | SF | PF)).toBe(SF | PF);
    const z = run("shr $4, %ax", { eax: 0xffff0008 });
    expect(z.reg("eax")).toBe(0xffff0000);
    expect(z.eflags & (CF | ZF | PF)).toBe(CF | ZF | PF);
  });
  it("masks the count to 5 bits (CL = 33 shifts by 1)", () => {
    const m = run("shl %cl, %eax", { eax: 1, ecx: 33 });
    expect(m.reg("eax")).toBe(2);
  });
  it("a masked count of 0 changes no flags (register and memory)", () => {
    const flags = CF | PF | AF | ZF | SF | OF;
    for (const src of ["shl %cl, %eax", "rcr %cl, %bl", "shldl %cl, %ebx, 0x3000", "sarb $32, 0x3000", "rol $0, %dx"]) {
      const m = run(src, { eax: 0x1234, ecx: 0x20, flags });
      expect(m.eflags & flags, src).toBe(flags);
      expect(m.reg("eax"), src).toBe(0x1234);
    }
  });
  it("a masked count of 0 on memory still checks the write (#GP on a read-only segment)", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble("shll %cl, 0x3000\nhlt", 0x1000));
    m.setSegment(3, 0x18, 0, 0xffffffff, FLAT_DATA32 & ~2); // DS read-only
    m.setReg("ecx", 0);
    m.eip = 0x1000;
    expect(m.run(10n)).toBe("EXCEPTION");
    expect(m.eip).toBe(0x1000);
  });
  it("ROL/ROR of 8/16-bit operands rotate by count mod size but still set CF", () => {
    const m = run("rol %cl, %al", { eax: 0x81, ecx: 8 });
    expect(m.reg("eax") & 0xff).toBe(0x81);
    expect(m.eflags & CF).toBe(CF); // CF = LSB(result)
    const r = run("ror $1, %ax", { eax: 0x0001 });
    expect(r.reg("eax") & 0xffff).toBe(0x8000);
    expect(r.eflags & (CF | OF)).toBe(CF | OF); // CF = MSB, OF = MSB XOR next bit
  });
  it("RCL/RCR rotate through CF: 8-bit count mod 9, 16-bit mod 17", () => {
    const a = run("rcl $1, %al", { eax: 0x80 });
    expect(a.reg("eax") & 0xff).toBe(0);
    expect(a.eflags & (CF | OF)).toBe(CF | OF);
    const b = run("rcl %cl, %al", { eax: 0x5a, ecx: 9, flags: CF });
    expect(b.reg("eax") & 0xff).toBe(0x5a);
    expect(b.eflags & CF).toBe(CF);
    const c = run("rcr %cl, %bx", { ebx: 0x1234, ecx: 17 });
    expect(c.reg("ebx")).toBe(0x1234);
    const d = run("rcr $1, %eax", { eax: 1, flags: CF });
    expect(d.reg("eax")).toBe(0x80000000);
    expect(d.eflags & (CF | OF)).toBe(CF | OF); // OF = MSB(dest) XOR CF before the rotate
    const e = run("rcl %cl, %eax", { eax: 0x80000000, ecx: 32 }); // masked to 0: nothing
    expect(e.reg("eax")).toBe(0x80000000);
  });
  it("SHLD/SHRD shift in bits of the source; CF is the last bit out", () => {
    const a = run("shld $4, %ebx, %eax", { eax: 0x12345678, ebx: 0x9abcdef0 });
    expect(hex(a.reg("eax"))).toBe("0x23456789");
    expect(a.eflags & CF).toBe(CF);
    const b = run("shrd $4, %ebx, %eax", { eax: 0x12345678, ebx: 0x9abcdef0 });
    expect(hex(b.reg("eax"))).toBe("0x1234567");
    expect(b.eflags & CF).toBe(CF);
    const c = run("shld %cl, %bx, %ax", { eax: 0x8000, ebx: 0x4000, ecx: 1 });
    expect(c.reg("eax") & 0xffff).toBe(0);
    expect(c.eflags & (CF | OF | ZF)).toBe(CF | OF | ZF); // sign changed
  });
});

/** Operand size of `body` from its last operand (a register) or its mnemonic suffix (memory). */
function operandBits(body: string): number {
  const dst = body.split(",").pop()!.trim();
  if (dst.startsWith("%")) return /^%e/.test(dst) ? 32 : /^%([a-d]x|[sd]i|[sb]p)$/.test(dst) ? 16 : 8;
  const suffix = body.split(" ")[0].slice(-1);
  return suffix === "l" ? 32 : suffix === "w" ? 16 : 8;
}

/** The EFLAGS bits the SDM defines for `body` run with count `n` (the masked count). */
function shiftDefined(body: string, inp: CpuIn): number {
  const mn = body.slice(0, 3);
  const size = operandBits(body);
  const m = /\$(\d+)/.exec(body);
  const count = (m ? Number(m[1]) : inp.regs[1]) & 31;
  if (count === 0) return ARITH_FLAGS; // nothing changes
  let mask = ARITH_FLAGS;
  if (count !== 1) mask &= ~OF;
  if (/^(rol|ror|rcl|rcr)/.test(body)) return mask & (CF | OF);
  mask &= ~AF;
  if (/^sh[lr]d/.test(body)) {
    if (size === 16 && count > 16) return 0; // result and flags undefined
    return mask;
  }
  if ((mn === "shl" || mn === "shr" || mn === "sal") && count >= size) mask &= ~CF;
  return mask;
}

const why = nativeUnavailable();
describe.skipIf(why !== null)("shifts against the host CPU", () => {
  it("agrees on every kind, size, count source and operand kind", () => {
    const bodies: string[] = [];
    for (const k of ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"]) {
      bodies.push(`${k} %cl, %al`, `${k} %cl, %bh`, `${k} %cl, %dx`, `${k} %cl, %esi`, `${k} $1, %edi`, `${k} $1, %cx`,
        `${k} $1, %dl`, `${k}b %cl, scratch+1`, `${k}w $1, scratch+2`, `${k}l %cl, scratch+3`);
      for (const n of [0, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33]) bodies.push(`${k} $${n}, %eax`, `${k}w $${n}, scratch`, `${k} $${n}, %ah`);
    }
    for (const k of ["shld", "shrd"]) {
      bodies.push(`${k} %cl, %ebx, %eax`, `${k} %cl, %bx, %ax`, `${k}l %cl, %edx, scratch+1`, `${k}w %cl, %si, scratch`);
      for (const n of [0, 1, 5, 16, 17, 31]) bodies.push(`${k} $${n}, %ebx, %eax`, `${k} $${n}, %bx, %di`);
    }
    const bad = crossCheck(bodies, randomInputs(300, 11), shiftDefined);
    expect(bad).toEqual([]);
  });
});
if (why) console.warn(why);
