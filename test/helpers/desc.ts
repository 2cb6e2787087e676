// Building protected-mode tables for tests: segment descriptors, gates, a GDT/IDT/TSS in guest
// memory, and a machine whose GDTR/IDTR/TR point at them (flat ring 0 state as flat.ts).
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { flatMachine } from "./flat.ts";
import { assemble } from "./asm.ts";

export const GDT = 0x10000;
export const IDT = 0x11000;
export const TSS = 0x12000;
export const LDT = 0x13000;

// Selectors of the standard GDT.
export const KCODE = 0x08;
export const KDATA = 0x10;
export const UCODE = 0x1b;
export const UDATA = 0x23;
export const TSS_SEL = 0x28;
/** slots from here on are free for tests */
export const SPARE = 0x30;

// Access bytes (P, DPL, S, type).
export const ACC_CODE0 = 0x9a;
export const ACC_DATA0 = 0x92;
export const ACC_CODE3 = 0xfa;
export const ACC_DATA3 = 0xf2;

/** A code/data or system descriptor: [low dword, high dword]. `flags` = G D/B L AVL (4 bits). */
export function segDesc(base: number, limit: number, access: number, flags = 0xc): [number, number] {
  const lo = ((base & 0xffff) << 16) | (limit & 0xffff);
  const hi = (base & 0xff000000) | ((flags & 0xf) << 20) | (limit & 0xf0000) | ((access & 0xff) << 8) | ((base >>> 16) & 0xff);
  return [lo >>> 0, hi >>> 0];
}

/** A gate: type 5 task, 6/7 16-bit int/trap, 12 call, 14/15 32-bit int/trap. */
export function gateDesc(sel: number, offset: number, type: number, dpl: number, present = true, params = 0): [number, number] {
  const lo = ((sel & 0xffff) << 16) | (offset & 0xffff);
  const hi = (offset & 0xffff0000) | (present ? 0x8000 : 0) | (dpl << 13) | (type << 8) | (params & 0x1f);
  return [lo >>> 0, hi >>> 0];
}

export function writeDesc(m: Machine, table: number, index: number, d: [number, number]): void {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, d[0], true);
  dv.setUint32(4, d[1], true);
  m.writePhys(table + index * 8, b);
}

export function readDesc(m: Machine, table: number, index: number): [number, number] {
  const b = m.readPhys(table + index * 8, 8);
  const dv = new DataView(b.buffer);
  return [dv.getUint32(0, true), dv.getUint32(4, true)];
}

export function setGdt(m: Machine, sel: number, d: [number, number]): void { writeDesc(m, GDT, sel >> 3, d); }
export function setIdt(m: Machine, vector: number, d: [number, number]): void { writeDesc(m, IDT, vector, d); }

export function write32(m: Machine, ma: number, v: number): void {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  m.writePhys(ma, b);
}
export function read32(m: Machine, ma: number): number {
  return new DataView(m.readPhys(ma, 4).buffer).getUint32(0, true);
}
export function read16(m: Machine, ma: number): number {
  return new DataView(m.readPhys(ma, 2).buffer).getUint16(0, true);
}

/**
 * Flat ring 0 machine with a GDT (null, KCODE, KDATA, UCODE, UDATA, TSS), an IDT of 256
 * not-present gates and a 32-bit TSS whose SS0:ESP0 = KDATA:0x9000. In-core delivery is on.
 */
export function protMachine(ramBytes = 1 << 20): Machine {
  const m = flatMachine(ramBytes);
  setGdt(m, KCODE, segDesc(0, 0xfffff, ACC_CODE0 | 1));
  setGdt(m, KDATA, segDesc(0, 0xfffff, ACC_DATA0 | 1));
  setGdt(m, UCODE, segDesc(0, 0xfffff, ACC_CODE3 | 1));
  setGdt(m, UDATA, segDesc(0, 0xfffff, ACC_DATA3 | 1));
  setGdt(m, TSS_SEL, segDesc(TSS, 0x67, 0x8b, 0)); // busy 32-bit TSS
  m.setField(L.S_GDTR_BASE, GDT);
  m.setField(L.S_GDTR_LIMIT, 16 * 8 - 1);
  m.setField(L.S_IDTR_BASE, IDT);
  m.setField(L.S_IDTR_LIMIT, 256 * 8 - 1);
  write32(m, TSS + 4, 0x9000); // ESP0
  write32(m, TSS + 8, KDATA); // SS0
  write32(m, TSS + 0x64, 0x68 << 16); // I/O map base past the limit
  m.setField(L.S_TR_SEL, TSS_SEL);
  m.setField(L.S_TR_BASE, TSS);
  m.setField(L.S_TR_LIMIT, 0x67);
  m.setField(L.S_TR_ATTR, 0x8b);
  m.setField(L.S_EXC_POLICY, 1);
  return m;
}

/** Assemble `source` at 0x1000 into a protMachine (after `setup`), run to HLT or another exit. */
export function runProt(source: string, setup?: (m: Machine) => void, maxInsns = 100_000n): { m: Machine; exit: string } {
  const m = protMachine();
  m.writePhys(0x1000, assemble(source, 0x1000));
  m.eip = 0x1000;
  setup?.(m);
  const exit = m.run(maxInsns);
  return { m, exit };
}
