// A machine in flat 32-bit protected mode (paging off, CPL 0) with `code` at `origin`:
// the set-up most instruction tests start from.
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { assemble } from "./asm.ts";

export const FLAT_CODE32 = 0xc09b; // G, D, P, DPL 0, code execute/read, accessed
export const FLAT_DATA32 = 0xc093; // G, B, P, DPL 0, data read/write, accessed

export function flatMachine(ramBytes = 1 << 20): Machine {
  const m = new Machine({ ramBytes });
  for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, 0x10, 0, 0xffffffff, FLAT_DATA32);
  m.setSegment(1, 0x08, 0, 0xffffffff, FLAT_CODE32);
  m.setField(L.S_CR0, 0x11);
  m.setCpl(0);
  m.setReg("esp", 0x8000);
  m.eflags = 0x2;
  return m;
}

/** Assemble `source` (AT&T) at 0x1000, run it to its HLT, and return the machine. */
export function runAsm(source: string, setup?: (m: Machine) => void, maxInsns = 1_000_000n): Machine {
  const m = flatMachine();
  m.writePhys(0x1000, assemble(source + "\nhlt\n", 0x1000));
  m.eip = 0x1000;
  setup?.(m);
  const exit = m.run(maxInsns);
  if (exit !== "HLT") throw new Error(`expected HLT, got ${exit} at EIP 0x${m.eip.toString(16)}`);
  return m;
}
