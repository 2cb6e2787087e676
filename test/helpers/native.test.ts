// The native cross-check helper itself: the probe, fault capture, memory and ESP reporting, and
// agreement with the core on instructions that were there before it (ADD, SUB, INC, NEG, memory).
import { describe, it, expect } from "vitest";
import { runNative, runEmulated, nativeUnavailable, diffOutcome, showInput, prng, randomValue, ARITH_FLAGS, type Snippet } from "./native.ts";

const why = nativeUnavailable();
if (why) console.warn(why);

describe.skipIf(why !== null)("native cross-check helper", () => {
  it("reports registers, ESP delta, memory and a #DE", () => {
    const [[add], [push], [div]] = runNative([
      { body: "add %ecx, %eax", inputs: [{ regs: [0xffffffff, 1, 0, 0, 0, 0, 0, 0], eflags: 0 }] },
      { body: "incl scratch+1\npush %eax", inputs: [{ regs: [0, 0, 0, 0, 0, 0, 0, 0], eflags: 0, mem: new Uint8Array([7, 8]) }] },
      { body: "divl %ecx", inputs: [{ regs: [5, 0, 7, 0, 0, 0, 0, 0], eflags: 0 }] },
    ]);
    expect(add.regs[0]).toBe(0);
    expect(add.eflags & ARITH_FLAGS).toBe(0x55); // CF PF AF ZF
    expect(add.vector).toBe(-1);
    expect(push.regs[4]).toBe(0xfffffffc);
    expect([...push.mem.subarray(0, 3)]).toEqual([7, 9, 0]);
    expect(div.vector).toBe(0);
    expect(div.regs[0]).toBe(5); // the faulting instruction changed nothing
  });

  it("agrees with the core on random ADD/SUB/ADC/INC/NEG, register and memory forms", () => {
    const next = prng(1);
    const bodies = ["add %ecx, %eax", "sub %dl, %bh", "adc %cx, %si", "incl scratch", "negw scratch+2", "sbb scratch, %edi"];
    const snippets: Snippet[] = bodies.map((body) => ({
      body,
      inputs: Array.from({ length: 200 }, () => ({
        regs: Array.from({ length: 8 }, () => randomValue(next)),
        eflags: next(),
        mem: new Uint8Array(Array.from({ length: 8 }, () => next() & 0xff)),
      })),
    }));
    const nat = runNative(snippets), emu = runEmulated(snippets);
    const bad: string[] = [];
    snippets.forEach((s, i) => s.inputs.forEach((inp, j) => {
      const d = diffOutcome(nat[i][j], emu[i][j], ARITH_FLAGS);
      if (d && bad.length < 5) bad.push(`${s.body} ${showInput(inp)}: ${d}`);
    }));
    expect(bad).toEqual([]);
  });
});
