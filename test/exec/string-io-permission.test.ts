// REP INS/OUTS with a zero count still check I/O permission (found by the differential test).
import { describe, it, expect } from "vitest";
import { Emu } from "../diff/emu.ts";
import { REGION, PAGE_W, PAGE_X, FILL_INT3 } from "../diff/protocol.ts";

function run(bytes: number[]) {
  const emu = new Emu();
  const eip = REGION.CODE.base + 0x100;
  return emu.run({
    index: 0, form: "t", bytes: new Uint8Array(bytes), eip,
    regs: [0, 0 /* ECX = 0 */, 0x3f8, 0, REGION.DATA.base + 0x800, 0, REGION.DATA.base, REGION.DATA.base + 0x100],
    eflags: 0x202,
    pages: [{ addr: REGION.CODE.base, flags: PAGE_W | PAGE_X, fill: FILL_INT3 }, { addr: REGION.DATA.base, flags: PAGE_W, fill: 1 }],
    pokes: [],
  });
}

describe("REP INS/OUTS at CPL 3, IOPL 0, port denied", () => {
  for (const [name, bytes] of [["rep outsb", [0xf3, 0x6e]], ["rep insd", [0xf3, 0x6d]]] as const) {
    it(`${name} with ECX = 0 raises #GP(0) at the instruction`, () => {
      const out = run([...bytes]);
      expect(out.kind).toBe("result");
      if (out.kind !== "result") return;
      expect(out.result.vector).toBe(13);
      expect(out.result.err).toBe(0);
      expect(out.result.eip).toBe(REGION.CODE.base + 0x100);
    });
  }
});
