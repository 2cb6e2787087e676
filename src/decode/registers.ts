// iced-x86 Register → the core's register numbers (what records store in R0/R1/R2, BASE, INDEX,
// SEG): GPRs by ModRM number, 8-bit AL CL DL BL AH CH DH BH = 0-7, segment registers in Sreg
// order ES CS SS DS FS GS = 0-5, CRn/DRn/TRn = n. 0xFF = not a register operand.
import { Register } from "./iced-wasm.ts";

export const NOT_A_REGISTER = 0xff;
export const NO_MEM_REG = 8;

const RANGES: [Register, Register][] = [
  [Register.AL, Register.BH],
  [Register.AX, Register.DI],
  [Register.EAX, Register.EDI],
  [Register.ES, Register.GS],
  [Register.CR0, Register.CR15],
  [Register.DR0, Register.DR15],
  [Register.TR0, Register.TR7],
];

/** Register number of `reg`, or NOT_A_REGISTER. */
export function regNumber(reg: Register): number {
  for (const [lo, hi] of RANGES) if (reg >= lo && reg <= hi) return reg - lo;
  return NOT_A_REGISTER;
}

/** GPR number of a memory base/index register (32- or 16-bit), or NO_MEM_REG. */
export function memRegNumber(reg: Register): number {
  if (reg === Register.None) return NO_MEM_REG;
  if (reg >= Register.EAX && reg <= Register.EDI) return reg - Register.EAX;
  if (reg >= Register.AX && reg <= Register.DI) return reg - Register.AX;
  throw new Error(`unexpected memory register ${Register[reg]}`);
}

/** Sreg number of a segment register. */
export function segNumber(reg: Register): number {
  if (reg >= Register.ES && reg <= Register.GS) return reg - Register.ES;
  throw new Error(`unexpected segment register ${Register[reg]}`);
}
