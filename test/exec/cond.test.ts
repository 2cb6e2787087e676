// SETcc and CMOVcc: every condition against the SDM's definition (Vol. 1, Appendix B) for every
// combination of the flags it reads, and against the host CPU.
import { describe, it, expect } from "vitest";
import { flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import { nativeUnavailable, crossCheck, randomInputs, ARITH_FLAGS } from "../helpers/native.ts";

const CF = 1, PF = 4, ZF = 0x40, SF = 0x80, OF = 0x800;
const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

/** The condition as the SDM defines it. */
function holds(cc: number, f: number): boolean {
  const cf = !!(f & CF), zf = !!(f & ZF), sf = !!(f & SF), of = !!(f & OF), pf = !!(f & PF);
  const base = [of, cf, zf, cf || zf, sf, pf, sf !== of, zf || sf !== of][cc >> 1];
  return cc & 1 ? !base : base;
}

/** Every combination of CF PF ZF SF OF. */
const FLAG_SETS = Array.from({ length: 32 }, (_, i) => [CF, PF, ZF, SF, OF].reduce((a, f, k) => (i >> k) & 1 ? a | f : a, 0));

/** One machine for many runs: the code is assembled once; each run resets EIP and HALTED. */
function machineFor(src: string) {
  const m = flatMachine();
  m.writePhys(0x1000, assemble(`${src}\nhlt`, 0x1000));
  return (setup: (mm: typeof m) => void) => {
    setup(m);
    m.setField(L.S_HALTED, 0);
    m.eip = 0x1000;
    expect(m.run(100n)).toBe("HLT");
    return m;
  };
}

describe("SETcc / CMOVcc (SDM rules)", () => {
  it("SETcc writes 1 or 0 to a byte register and to memory", () => {
    CC.forEach((c, cc) => {
      const run = machineFor(`set${c} %bh\nset${c} 0x3000`);
      for (const f of FLAG_SETS) {
        const m = run((mm) => { mm.eflags = 2 | f; mm.setReg("ebx", 0xffffffff); mm.writePhys(0x3000, new Uint8Array([0xaa])); });
        const want = holds(cc, f) ? 1 : 0;
        expect(m.reg("ebx"), `set${c} flags 0x${f.toString(16)}`).toBe((0xffff00ff | (want << 8)) >>> 0);
        expect(m.readPhys(0x3000, 1)[0]).toBe(want);
        expect(m.eflags & ARITH_FLAGS).toBe(f); // no flag changes
      }
    });
  });
  it("CMOVcc moves (16/32-bit, register and memory) only when the condition holds", () => {
    CC.forEach((c, cc) => {
      const run = machineFor(`cmov${c} %ecx, %eax\ncmov${c} 0x3000, %dx`);
      for (const f of FLAG_SETS) {
        const m = run((mm) => {
          mm.eflags = 2 | f; mm.setReg("eax", 1); mm.setReg("ecx", 2); mm.setReg("edx", 0x11112222);
          mm.writePhys(0x3000, new Uint8Array([0x44, 0x33]));
        });
        const yes = holds(cc, f);
        expect(m.reg("eax"), `cmov${c} flags 0x${f.toString(16)}`).toBe(yes ? 2 : 1);
        expect(m.reg("edx")).toBe(yes ? 0x11113344 : 0x11112222);
      }
    });
  });
  it("CMOVcc reads its memory operand even when the condition is false (and can fault)", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble("cmovo 0x5000, %eax\nhlt", 0x1000));
    m.setSegment(3, 0x10, 0, 0xfff, 0x4093); // DS limit 0xFFF (byte granular)
    m.eflags = 2; // OF = 0: no move
    m.eip = 0x1000;
    expect(m.run(10n)).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
  });
});

const why = nativeUnavailable();
describe.skipIf(why !== null)("SETcc / CMOVcc against the host CPU", () => {
  it("agrees for every condition", () => {
    const bodies = CC.flatMap((c) => [`set${c} %al`, `set${c} %bh`, `set${c} scratch+3`, `cmov${c} %ecx, %eax`, `cmov${c} %si, %di`,
      `cmov${c} scratch, %edx`, `cmov${c} scratch+2, %bx`]);
    expect(crossCheck(bodies, randomInputs(200, 41), () => ARITH_FLAGS)).toEqual([]);
  });
});
if (why) console.warn(why);
