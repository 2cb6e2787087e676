// CBW..CDQ, LAHF/SAHF, SALC, XLAT, BSWAP, CMPXCHG, CMPXCHG8B, XADD, BOUND, UD0/1/2, hint NOPs,
// the LOCK rule. SDM-derived expectations first, then a cross-check against the host CPU.
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine, FLAT_DATA32 } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  mismatches, nativeUnavailable, prng, randomValue, ARITH_FLAGS, type Snippet,
} from "../helpers/native.ts";

const ZF = 1 << 6, CF = 1;
const u32At = (m: Machine, at: number) => new DataView(m.readPhys(at, 4).buffer).getUint32(0, true);
const put = (m: Machine, at: number, data: number[]) => m.writePhys(at, new Uint8Array(data));

/** Run `src` (no HLT needed) and expect an exception; returns the machine. */
function faultOf(src: string, setup?: (m: Machine) => void): Machine {
  const m = flatMachine();
  m.writePhys(0x1000, assemble(src + "\nhlt", 0x1000));
  m.eip = 0x1000;
  setup?.(m);
  expect(m.run()).toBe("EXCEPTION");
  return m;
}

describe("sign extension, AH flags, SALC", () => {
  it("CBW CWDE CWD CDQ", () => {
    const m = runAsm(`mov $0x12345680, %eax; cbw; mov %eax, %ebx; mov $0x1234f000, %eax; cwde; mov %eax, %esi
      mov $0x11118000, %eax; mov $0x22222222, %edx; cwd; mov %edx, %edi; mov $0x80000000, %eax; cdq`);
    expect(m.reg("ebx")).toBe(0x1234ff80);
    expect(m.reg("esi")).toBe(0xfffff000);
    expect(m.reg("edi")).toBe(0x2222ffff);
    expect(m.reg("edx")).toBe(0xffffffff);
  });

  it("LAHF stores SF ZF AF PF CF with bit 1 set; SAHF loads them back and leaves OF", () => {
    const m = runAsm(`mov $0x7f, %al; add $1, %al; lahf; mov %eax, %ebx; mov $0xff00, %eax; sahf; pushf; pop %ecx`);
    // 0x7f + 1 = 0x80: SF AF, OF (not in AH), PF=0 (0x80 has one bit), ZF=0, CF=0
    expect((m.reg("ebx") >> 8) & 0xff).toBe(0x80 | 0x10 | 0x02);
    expect(m.reg("ecx") & 0xfff).toBe(0x800 | 0xd5 | 0x2);
  });

  it("SALC sets AL from CF", () => {
    const m = runAsm(`stc; mov $0x1234, %eax; .byte 0xd6; mov %eax, %ebx; clc; .byte 0xd6`);
    expect(m.reg("ebx")).toBe(0x12ff);
    expect(m.reg("eax")).toBe(0x1200);
  });
});

describe("XLAT", () => {
  it("AL = DS:[EBX + AL]; a segment override applies", () => {
    const m = runAsm(`mov $0x3000, %ebx; mov $0xffffff05, %eax; xlat; mov %eax, %ecx; mov $5, %eax; xlat %fs:(%ebx)`, (m) => {
      put(m, 0x3005, [0x42]);
      m.setSegment(4, 0x10, 0x10000, 0xffffffff, FLAT_DATA32);
      put(m, 0x13005, [0x99]);
    });
    expect(m.reg("ecx")).toBe(0xffffff42);
    expect(m.reg("eax")).toBe(0x99);
  });

  it("with a 16-bit address size BX + AL wraps at 64 KiB", () => {
    const m = runAsm(`mov $0x1234fff0, %ebx; mov $0x20, %eax; addr16 xlat`, (m) => put(m, 0x10, [0x77]));
    expect(m.reg("eax")).toBe(0x77);
  });
});

describe("BSWAP", () => {
  it("reverses the bytes of a 32-bit register; BSWAP r16 clears the 16-bit register", () => {
    const m = runAsm(`mov $0x12345678, %esi; bswap %esi; mov $0xaabbccdd, %edx; .byte 0x66, 0x0f, 0xca`);
    expect(m.reg("esi")).toBe(0x78563412);
    expect(m.reg("edx")).toBe(0xaabb0000);
  });
});

describe("CMPXCHG / CMPXCHG8B / XADD", () => {
  it("CMPXCHG equal: ZF = 1 and dest = src; unequal: ZF = 0 and EAX = dest", () => {
    const m = runAsm(`mov $5, %eax; mov $5, %ebx; mov $9, %ecx; cmpxchg %ecx, %ebx; pushf; pop %esi
      mov $7, %eax; movl $3, 0x3000; cmpxchg %ecx, 0x3000; pushf; pop %edi`);
    expect(m.reg("ebx")).toBe(9);
    expect(m.reg("esi") & ZF).toBe(ZF);
    expect(m.reg("eax")).toBe(3);
    expect(u32At(m, 0x3000)).toBe(3);
    expect(m.reg("edi") & (ZF | CF)).toBe(0); // 7 - 3
  });

  it("CMPXCHG on memory writes even when the compare fails: a read-only page faults", () => {
    const m = faultOf(`mov $7, %eax; cmpxchg %ecx, %es:0x10`, (m) => m.setSegment(0, 0x10, 0, 0xfffff, 0x4091)); // ES read-only
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.reg("eax")).toBe(7);
  });

  it("CMPXCHG8B swaps when EDX:EAX matches, else loads EDX:EAX; only ZF changes", () => {
    const m = runAsm(`mov $1, %eax; mov $2, %edx; mov $0xb, %ebx; mov $0xc, %ecx; stc; cmpxchg8b 0x3000; pushf; pop %esi
      cmpxchg8b 0x3000; pushf; pop %edi`, (m) => put(m, 0x3000, [1, 0, 0, 0, 2, 0, 0, 0]));
    expect(u32At(m, 0x3000)).toBe(0xb);
    expect(u32At(m, 0x3004)).toBe(0xc);
    expect(m.reg("esi") & (ZF | CF)).toBe(ZF | CF);
    expect(m.reg("edi") & (ZF | CF)).toBe(CF);
    expect([m.reg("eax"), m.reg("edx")]).toEqual([0xb, 0xc]);
  });

  it("CMPXCHG8B with a register operand is #UD", () => {
    const m = faultOf(`.byte 0x0f, 0xc7, 0xc8`);
    expect(m.field(L.S_EXC_VECTOR)).toBe(6);
  });

  it("XADD exchanges and adds; XADD r, r with the same register keeps the sum", () => {
    const m = runAsm(`mov $3, %eax; mov $4, %ebx; xadd %ebx, %eax; mov %ebx, %esi; mov $5, %ecx; xadd %ecx, %ecx
      movl $10, 0x3000; mov $-10, %edx; xadd %edx, 0x3000; pushf; pop %edi`);
    expect([m.reg("eax"), m.reg("esi"), m.reg("ecx")]).toEqual([7, 3, 10]);
    expect(u32At(m, 0x3000)).toBe(0);
    expect(m.reg("edx")).toBe(10);
    expect(m.reg("edi") & (ZF | CF)).toBe(ZF | CF);
  });
});

describe("BOUND, UD, hints, LOCK", () => {
  it("BOUND: in range passes; below or above raises #BR (vector 5) as a fault", () => {
    runAsm(`mov $5, %eax; bound %eax, 0x3000`, (m) => put(m, 0x3000, [0xfb, 0xff, 0xff, 0xff, 5, 0, 0, 0]));
    for (const idx of [-6, 6]) {
      const m = faultOf(`mov $${idx}, %eax; bound %eax, 0x3000`, (m) => put(m, 0x3000, [0xfb, 0xff, 0xff, 0xff, 5, 0, 0, 0]));
      expect(m.field(L.S_EXC_VECTOR)).toBe(5);
      expect(m.eip).toBe(0x1005);
    }
    const w = faultOf(`mov $0x8000, %eax; boundw %ax, 0x3000`, (m) => put(m, 0x3000, [0x01, 0x80, 0xff, 0x7f]));
    expect(w.field(L.S_EXC_VECTOR)).toBe(5); // -32768 < -32767
  });

  it("UD0, UD1, UD2 raise #UD", () => {
    for (const bytes of ["0x0f, 0x0b", "0x0f, 0xb9, 0xc0", "0x0f, 0xff, 0x00"]) {
      const m = faultOf(`.byte ${bytes}`);
      expect(m.field(L.S_EXC_VECTOR)).toBe(6);
      expect(m.eip).toBe(0x1000);
    }
  });

  it("hint NOPs (0F 18-1F, ENDBR32) do nothing and never touch memory", () => {
    const m = runAsm(`mov $1, %eax; prefetchnta 0xfffffff0; .byte 0x0f, 0x19, 0x00; .byte 0x0f, 0x1e, 0xfb; endbr32; nopl 0x12345678(%eax)`);
    expect(m.reg("eax")).toBe(1);
    expect(m.instructions).toBe(7n);
  });

  it("LOCK on a register destination or a non-lockable instruction is #UD; on memory it works", () => {
    for (const src of [".byte 0xf0; add %ebx, %eax", ".byte 0xf0; movsb", ".byte 0xf0; xchg %ebx, %eax", ".byte 0xf0; xadd %ecx, %eax", ".byte 0xf0; mov %eax, 0x3000"]) {
      const m = faultOf(src);
      expect(m.field(L.S_EXC_VECTOR), src).toBe(6);
    }
    const m = runAsm(`mov $1, %eax; lock xadd %eax, 0x3000; lock incl 0x3000; lock cmpxchg8b 0x3008`);
    expect(u32At(m, 0x3000)).toBe(2);
  });
});

const why = nativeUnavailable();
if (why) console.warn(why);

describe.skipIf(why !== null)("misc2 against the host CPU", () => {
  it("agrees on random inputs", () => {
    const next = prng(2);
    const bodies: [string, number][] = [
      ["cbw", 0], ["cwde", 0], ["cwd", 0], ["cdq", 0],
      ["lahf", 0], ["sahf", ARITH_FLAGS & ~0x800], [".byte 0xd6", 0],
      ["and $0x3f, %eax\n mov $scratch, %ebx\n xlat", 0],
      ["bswap %ecx", 0], [".byte 0x66, 0x0f, 0xc9", 0],
      ["cmpxchg %ecx, %edx", ARITH_FLAGS], ["cmpxchg %cl, %bh", ARITH_FLAGS], ["cmpxchg %cx, scratch", ARITH_FLAGS],
      ["cmpxchg %esi, scratch+4", ARITH_FLAGS], ["cmpxchg %eax, %eax", ARITH_FLAGS],
      ["cmpxchg8b scratch", ZF], ["lock cmpxchg8b scratch+8", ZF],
      ["xadd %ecx, %edx", ARITH_FLAGS], ["xadd %al, %ah", ARITH_FLAGS], ["xadd %si, scratch+2", ARITH_FLAGS], ["xadd %eax, %eax", ARITH_FLAGS],
      ["bound %eax, scratch", 0], ["boundw %dx, scratch+4", 0],
      ["ud2", 0], [".byte 0xf0\n add %ebx, %eax", 0], [".byte 0xf0\n xchg %ebx, %eax", 0],
    ];
    const snippets: Snippet[] = bodies.map(([body]) => ({
      body,
      inputs: Array.from({ length: 100 }, (_, k) => {
        const regs = Array.from({ length: 8 }, () => randomValue(next));
        const mem = new Uint8Array(Array.from({ length: 16 }, () => next() & 0xff));
        if (k % 3 === 0) { // make the compares succeed some of the time
          regs[0] = regs[2]; regs[0] = (regs[0] & ~0xff) | (regs[3] >>> 8 & 0xff);
          new DataView(mem.buffer).setUint32(0, regs[0], true);
          new DataView(mem.buffer).setUint32(4, regs[6], true);
          new DataView(mem.buffer).setUint32(8, regs[0], true); new DataView(mem.buffer).setUint32(12, regs[2], true);
          if (k % 2) { new DataView(mem.buffer).setUint32(0, regs[0], true); new DataView(mem.buffer).setUint32(4, regs[2], true); }
        }
        return { regs, eflags: next(), mem };
      }),
    }));
    expect(mismatches(snippets, (i) => bodies[i][1])).toEqual([]);
  });
});
