// Random programs (seeded, reproducible) under the interpreter and under forced translation: loops
// of inlined and core-executed instructions with flag-setters, conditional skips, block boundaries,
// memory and stack accesses, some of them faulting (a not-present page), must agree on everything.
import { describe, it, expect } from "vitest";
import { expectEnginesAgree } from "../helpers/engines.ts";
import { flatProgram, identityPaging } from "../helpers/programs.ts";
import { L } from "../../src/core/layout.gen.ts";

/** xorshift32: the same programs on every run */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  return { next, pick: <T>(xs: readonly T[]): T => xs[next() % xs.length], int: (n: number) => next() % n };
}

const R32 = ["%eax", "%ebx", "%edx", "%esi", "%ebp"];
const R8 = ["%al", "%bl", "%dl", "%ah", "%bh"];
const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const ALU = ["add", "sub", "and", "or", "xor", "cmp", "test", "adc", "sbb"];
const SHIFT = ["rol", "ror", "shl", "shr", "sar", "rcl", "rcr"];
const IMMS = [0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x1234, 0xfffffff0];

/** One random instruction; memory operands stay inside [%edi, %edi + 0x400) (EDI is never written). */
function instruction(r: ReturnType<typeof rng>): string {
  const reg = () => r.pick(R32), imm = () => `$${r.pick(IMMS) | 0}`, mem = () => `${4 * r.int(0x100)}(%edi)`;
  switch (r.int(18)) {
    case 0: return `${r.pick(ALU)} ${reg()}, ${reg()}`;
    case 1: return `${r.pick(ALU)} ${imm()}, ${reg()}`;
    case 2: return `${r.pick(ALU)}l ${mem()}, ${reg()}`;
    case 3: return `${r.pick(ALU)}l ${reg()}, ${mem()}`;
    case 4: return `${r.pick(ALU)}l ${imm()}, ${mem()}`;
    case 5: return `${r.pick(["inc", "dec", "neg", "not"])} ${reg()}`;
    case 6: return `${r.pick(SHIFT)} $${r.int(33)}, ${reg()}`;
    case 7: return `mov ${mem()}, ${reg()}`;
    case 8: return `mov ${reg()}, ${mem()}`;
    case 9: return `movl ${imm()}, ${mem()}`;
    case 10: return `lea ${r.int(64)}(${reg()},${reg()},${1 << r.int(4)}), ${reg()}`;
    case 11: return `push ${reg()}\npop ${reg()}`;
    case 12: return `mov ${imm()}, ${reg()}`;
    case 13: return `${r.pick(["add", "sub", "xor"])}b ${r.pick(R8)}, ${r.pick(R8)}`;
    case 14: return r.pick(["clc", "stc", "cmc", "nop"]);
    // flags read in the core; a block boundary (the flags cross it in the translation's locals)
    case 16: return `pushf\npop ${reg()}`;
    case 17: return "jmp 1f\n1:";
    default: return `incl ${mem()}`;
  }
}

function randomProgram(seed: number): string {
  const r = rng(seed);
  let src = "mov $0x20000, %edi\n";
  for (const reg of R32) src += `mov $${r.next() | 0}, ${reg}\n`;
  for (let b = 0; b < 6; b++) {
    src += `mov $${1 + r.int(40)}, %ecx\nloop${b}:\n`;
    const n = 1 + r.int(10);
    for (let i = 0; i < n; i++) {
      src += instruction(r) + "\n";
      if (r.int(4) === 0) src += `j${r.pick(CC)} skip${b}_${i}\n${instruction(r)}\nskip${b}_${i}:\n`;
    }
    src += r.int(2) ? `dec %ecx\njnz loop${b}\n` : `loop loop${b}\n`;
  }
  // a last loop that walks into the not-present page at 0x30000 (when the seed says so)
  if (r.int(2)) src += `mov $0x2ff00, %esi\nwalk: ${r.pick(ALU)}l (%esi), %eax\nadd $${r.pick([1, 2, 4])}, %esi\njmp walk\n`;
  return src; // flatProgram ends it with HLT
}

describe("random programs agree under interpreter and translation", () => {
  for (let seed = 1; seed <= 24; seed++) {
    it(`seed ${seed}`, () => {
      const { m, exits } = expectEnginesAgree(flatProgram(randomProgram(seed), identityPaging([0x30])), { thresholds: [0, 1], maxInsns: 200_000n });
      // the program ran to its end: HLT, or the #PF of the last loop
      expect(exits.at(-1) === "HLT" || (exits.at(-1) === "EXCEPTION" && m.field(L.S_CR2) === 0x30000), `${exits.at(-1)} at ${m.eip.toString(16)}`).toBe(true);
    });
  }
});
