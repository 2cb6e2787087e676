// Writable page tables (src/hv/ptwr.ts): a ring-1 store to the domain's own L1 under
// vm_assist(writable_pagetables) is emulated. The oracle for each read-modify-write instruction
// is the core itself (differentially tested against the host CPU): the same instruction runs on
// an ordinary data word holding the same entry, and the emulated one must leave the same entry
// and the same defined flags.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, va, PT_PFNS } from "../helpers/pv.ts";
import type { Layout } from "../../src/hv/domain.ts";

const L1_VA = va(PT_PFNS[2]);
const PFN = 310; // a data page whose L1 entry the instructions change
const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
const ARITH = CF | PF | AF | ZF | SF | OF, LOGIC = CF | PF | ZF | SF | OF;

/** [instruction with OPND for the memory operand, flags the SDM defines for it] */
const OPS: [string, number][] = [
  ["addl $0x20, OPND", ARITH],          // A set: carries into D
  ["subl $0x40, OPND", ARITH],
  ["subl $0x1, OPND", ARITH],           // clears P: a not-present entry
  ["addl $0x1, OPND", ARITH],           // present again
  ["andl $0xfffffffd, OPND", LOGIC],    // RW off
  ["orb $0x2, OPND", LOGIC],            // RW on, one byte
  ["xorw $0x40, OPND", LOGIC],          // D toggled, 16 bits
  ["lock btsl $6, OPND", CF],
  ["lock btrl $5, OPND", CF],
  ["btcl %ecx, OPND", CF],              // ECX = 5: A back
  ["lock orl %edx, OPND", LOGIC],       // EDX = 0: flags from the entry itself
];

function run(layout: Layout) {
  const esz = layout === "pae" ? 8 : 4;
  const entry = L1_VA + PFN * esz, word = DATA + 0x800;
  const body = OPS.map(([insn], i) => `
      movl ${entry}, %eax; movl %eax, ${word}
      movl $0, %eax; pushl %eax; popfl
      ${insn.replace("OPND", `${word}`)}
      pushfl; popl %eax; RESULT ${4 * i}
      movl ${word}, %eax; RESULT ${4 * i + 1}
      movl $0, %eax; pushl %eax; popfl
      ${insn.replace("OPND", `${entry}`)}
      pushfl; popl %eax; RESULT ${4 * i + 2}
      movl ${entry}, %eax; RESULT ${4 * i + 3}`).join("\n");
  const t = pvDomain(`${PRELUDE}
      movl $0, %ebx; movl $2, %ecx; HYPERCALL 21      /* vm_assist enable writable_pagetables */
      movl $5, %ecx; movl $0, %edx
      ${body}
      SHUTDOWN 0
  `, layout);
  expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
  return { t, r: t.d.mem.readU32s(DATA, 4 * OPS.length) };
}

describe("writable page tables", () => {
  it.each(["pae", "classic"] as const)("%s: each read-modify-write on an L1 entry matches the core on a data word", (layout) => {
    const { t, r } = run(layout);
    OPS.forEach(([insn, defined], i) => {
      const [coreFlags, coreValue, emuFlags, emuValue] = r.slice(4 * i, 4 * i + 4);
      expect(emuValue, insn).toBe(coreValue);
      expect(emuFlags & defined, insn).toBe(coreFlags & defined);
    });
    expect(t.d.stats.ptwrEmulations).toBe(OPS.length);
    expect(t.d.stats.bounces.size).toBe(0);
  });
});
