// How records are planned for translation (src/translate/codegen.ts plan()).
import { describe, it, expect } from "vitest";
import { plan } from "../../src/translate/codegen.ts";
import type { RecordInfo } from "../../src/translate/region.ts";

/** A record with a memory operand [ebx + disp] (register numbers as the decoder's: 3 = EBX). */
function rec(handler: string, args: number[], r0: number, r1: number): RecordInfo {
  return {
    addr: 0, offset: 0, len: 6, op: 0, handler, args, flags: 0, r0, r1, r2: 0,
    base: 3, index: 8, scale: 0, seg: 3, cc: 0, disp: 0x100, imm: 0, imm2: 0,
  };
}

describe("plan", () => {
  const stores: [string, RecordInfo][] = [
    ["add [mem], reg", rec("aluMR", [0, 4], 0xff, 0)],
    ["add [mem], imm", rec("aluMI", [0, 4], 0xff, 0)],
  ];
  for (const [what, r] of stores) {
    it(`${what}: inlined, but run in the core on a page with patched constants (self-modifying code)`, () => {
      expect(plan(r, false, false)).not.toBeNull();
      expect(plan(r, false, true)).toBeNull();
    });
  }

  // on a patched page their fast path lets stores into code go through the core's jitCodeStore
  it("mov [mem], reg and mov [mem], imm stay inlined on a patched page", () => {
    expect(plan(rec("movMR_or_RM", [4], 0xff, 0), false, true)).toEqual({ k: "store" });
    expect(plan(rec("movMI", [4], 0xff, 0), false, true)).toEqual({ k: "storeImm" });
  });

  it("a load stays inlined on a patched page", () => {
    const load = rec("movMR_or_RM", [4], 0, 0xff);
    expect(plan(load, false, true)).toEqual({ k: "load" });
  });
});
