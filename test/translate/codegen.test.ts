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
  // on a patched page (self-modifying code) their fast path lets a store into code go through the
  // core's jitCodeStore (codegen-mem.ts writeOperandCode, storeCode)
  const stores: [string, RecordInfo, string][] = [
    ["mov [mem], reg", rec("movMR_or_RM", [4], 0xff, 0), "store"],
    ["mov [mem], imm", rec("movMI", [4], 0xff, 0), "storeImm"],
    ["add [mem], reg", rec("aluMR", [0, 4], 0xff, 0), "aluMR"],
    ["add [mem], imm", rec("aluMI", [0, 4], 0xff, 0), "aluMI"],
  ];
  for (const [what, r, k] of stores) {
    it(`${what}: inlined, also on a page with patched constants`, () => {
      expect(plan(r, false, false)?.k).toBe(k);
      expect(plan(r, false, true)?.k).toBe(k);
    });
  }

  it("a load stays inlined on a patched page", () => {
    const load = rec("movMR_or_RM", [4], 0, 0xff);
    expect(plan(load, false, true)).toEqual({ k: "load" });
  });
});
