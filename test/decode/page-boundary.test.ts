// The decoder must never fetch from a page the CPU would not fetch from: code ending exactly at a
// page end runs even when the next page is not present, and an instruction that crosses into a
// not-present page raises #PF for that page only when it is executed — after the instructions
// before it have retired.
import { describe, it, expect } from "vitest";
import { flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";

const PD = 0x10000, PT = 0x11000;

/** 2-level paging: identity-map the first 4 MiB except the page at 0x3000 (not present). */
function pagedMachine(): Machine {
  const m = flatMachine();
  const dv = new DataView(new ArrayBuffer(4096));
  const pd = new Uint8Array(4096), pt = new Uint8Array(4096);
  new DataView(pd.buffer).setUint32(0, PT | 0x3, true);
  const ptv = new DataView(pt.buffer);
  for (let i = 0; i < 1024; i++) if (i !== 3) ptv.setUint32(i * 4, (i << 12) | 0x3, true);
  m.writePhys(PD, pd);
  m.writePhys(PT, pt);
  m.setField(L.S_CR3, PD);
  m.setField(L.S_CR0, 0x80000011);
  void dv;
  return m;
}

describe("decoding at page boundaries", () => {
  it("runs code that ends exactly at the end of a page before a not-present page", () => {
    const m = pagedMachine();
    // 0x2FF8: mov $7, %eax (5 bytes); inc %eax (1); nop (1); hlt (1) — the last byte is 0x2FFF
    const code = assemble("mov $7, %eax\ninc %eax\nnop\nhlt", 0x2ff8);
    expect(code.length).toBe(8);
    m.writePhys(0x2ff8, code);
    m.eip = 0x2ff8;
    expect(m.run(100n)).toBe("HLT");
    expect(m.reg("eax")).toBe(8);
    expect(m.field(L.S_CR2)).toBe(0);
  });

  it("an instruction crossing into a not-present page faults with CR2 at that page, after the earlier ones retire", () => {
    const m = pagedMachine();
    // inc %ebx at 0x2FFA and 0x2FFB, then mov $0x11223344, %ecx (5 bytes) at 0x2FFC..0x3000: crosses
    const code = assemble("inc %ebx\ninc %ebx\nmov $0x11223344, %ecx", 0x2ffa);
    m.writePhys(0x2ffa, code.subarray(0, 0x3000 - 0x2ffa));
    m.eip = 0x2ffa;
    expect(m.run(100n)).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(14);
    expect(m.field(L.S_CR2)).toBe(0x3000);
    expect(m.field(L.S_EXC_CODE)).toBe(0); // not present, read (fetch), supervisor
    expect(m.eip).toBe(0x2ffc);
    expect(m.reg("ebx")).toBe(2);
    expect(m.reg("ecx")).toBe(0);
    expect(m.instructions).toBe(2n);
  });

  it("re-checks the second page of a crossing instruction each time: a remapped page gives new bytes", () => {
    const m = pagedMachine();
    const code = assemble("mov $0x11223344, %ecx\nhlt", 0x2ffc);
    m.writePhys(0x2ffc, code.subarray(0, 4));
    const setPte3 = (frame: number) => {
      const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, frame | 0x3, true);
      m.writePhys(PT + 3 * 4, b);
      m.core.exports.tlbInvalidatePage(3);
    };
    m.writePhys(0x5000, code.subarray(4)); // the last immediate byte (0x11) and hlt
    m.writePhys(0x6000, new Uint8Array([0x99, 0xf4]));
    setPte3(0x5000);
    m.eip = 0x2ffc;
    expect(m.run(10n)).toBe("HLT");
    expect(m.reg("ecx")).toBe(0x11223344);
    setPte3(0x6000);
    m.setField(L.S_HALTED, 0);
    m.eip = 0x2ffc;
    expect(m.run(10n)).toBe("HLT");
    expect(m.reg("ecx")).toBe(0x99223344);
  });
});
