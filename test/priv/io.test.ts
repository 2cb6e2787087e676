// I/O permission (SDM Vol. 1, 19.5-19.6): CPL ≤ IOPL, else the TSS I/O permission bitmap; CLI/STI
// need CPL ≤ IOPL (SDM Vol. 2, CLI).
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import { runProt, setIdt, setGdt, gateDesc, segDesc, read32, write32, KCODE, UCODE, UDATA, TSS, TSS_SEL } from "../helpers/desc.ts";

const HANDLER = 0x1100;
/** Ring 3 with IOPL `iopl`; a TSS whose bitmap (at 0x68) denies every port but 0x80 and 0x90-0x97. */
function ring3(iopl: number) {
  return (m: Machine) => {
    setIdt(m, 13, gateDesc(KCODE, HANDLER, 14, 0));
    setGdt(m, TSS_SEL, segDesc(TSS, 0x68 + 0x20, 0x8b, 0));
    m.setField(L.S_TR_LIMIT, 0x68 + 0x20);
    write32(m, TSS + 0x64, 0x68 << 16);
    const map = new Uint8Array(0x21).fill(0xff);
    map[0x80 >> 3] &= ~1;
    map[0x90 >> 3] = 0;
    m.writePhys(TSS + 0x68, map);
    m.setSegment(1, UCODE, 0, 0xffffffff, 0xc0fb);
    for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, UDATA, 0, 0xffffffff, 0xc0f3);
    m.setCpl(3);
    m.setReg("esp", 0x7000);
    m.eflags = 0x2 | (iopl << 12);
  };
}
/**
 * Runs `code` at ring 3 (then a HLT, itself #GP at CPL 3); returns "IO <port>" when the port was
 * accessed, "GP" when the I/O instruction raised #GP(0), else the exit name.
 */
function outcome(code: string, iopl: number, budget = 1000n): string {
  const ports: number[] = [];
  const { m, exit } = runProt(`${code}\nhlt\n.org 0x100\nhlt`, (m) => {
    ring3(iopl)(m);
    m.attachPorts(0, 0x500, { read: (p) => { ports.push(p); return 0; }, write: (p) => { ports.push(p); } });
  }, budget);
  if (ports.length) return `IO ${ports[0].toString(16)}`;
  if (m.eip === HANDLER + 1 && read32(m, 0x9000 - 24) === 0) return "GP";
  return exit;
}

describe("I/O permission at CPL 3", () => {
  it("IOPL 3: every port", () => expect(outcome("outb %al, $0x81", 3)).toBe("IO 81"));
  it("IOPL 0: a port whose bitmap bit is 0 is allowed; a set bit is #GP(0)", () => {
    expect(outcome("outb %al, $0x80", 0)).toBe("IO 80");
    expect(outcome("outb %al, $0x81", 0)).toBe("GP");
  });
  it("a word or dword access needs every bit clear", () => {
    expect(outcome("mov $0x94, %dx; outl %eax, %dx", 0)).toBe("IO 94");
    expect(outcome("mov $0x96, %dx; outl %eax, %dx", 0)).toBe("GP"); // 0x98, 0x99 denied
    expect(outcome("mov $0x8f, %dx; outw %ax, %dx", 0)).toBe("GP"); // 0x8f denied
  });
  it("a bitmap past the TSS limit denies", () => expect(outcome("mov $0x400, %dx; inb %dx, %al", 0)).toBe("GP"));
  it("CLI and STI need CPL ≤ IOPL", () => {
    expect(outcome("cli", 0)).toBe("GP");
    expect(outcome("sti; jmp .", 3, 100n)).toBe("BUDGET");
  });
});
