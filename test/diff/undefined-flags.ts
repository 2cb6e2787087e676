// What the Intel SDM leaves undefined, per instruction instance: the EFLAGS bits (and, for a few
// instructions, the destination) that a differential test must not compare. The rules follow the
// "Flags Affected" sections of SDM Vol. 2; iced-x86's per-instruction `rflagsUndefined` (taken
// from the same manual) is unioned in as a cross-check for anything this table forgets, except
// for the shift/rotate families, whose undefined bits depend on the count and are computed here.
// docs/DIFF-TEST.md states the policy.
import { type Instruction, Mnemonic, OpKind, Register, RflagsBits } from "iced-x86";

export const CF = 0x1, PF = 0x4, AF = 0x10, ZF = 0x40, SF = 0x80, OF = 0x800;
export const ARITH = CF | PF | AF | ZF | SF | OF;
/** EFLAGS bits compared at all: CF PF AF ZF SF TF IF DF OF IOPL NT AC ID. Not RF (the kernel's
 *  saved context has it set after faults), not VM/VIF/VIP (unchangeable at CPL 3). */
export const COMPARED_FLAGS = 0x247fd5;

/** Named mask rules (SDM Vol. 2 "Flags Affected"); documented in docs/DIFF-TEST.md. */
export const FLAG_RULES: Record<string, { flags: number; why: string }> = {
  Logic: { flags: AF, why: "AND OR XOR TEST: AF undefined" },
  Mul: { flags: SF | ZF | AF | PF, why: "MUL IMUL: SF ZF AF PF undefined" },
  Div: { flags: ARITH, why: "DIV IDIV: all six arithmetic flags undefined" },
  Bt: { flags: OF | SF | AF | PF, why: "BT BTS BTR BTC: OF SF AF PF undefined" },
  Bsf: { flags: CF | OF | SF | AF | PF, why: "BSF BSR: CF OF SF AF PF undefined; destination undefined when the source is 0" },
  AsciiAdd: { flags: OF | SF | ZF | PF, why: "AAA AAS: OF SF ZF PF undefined" },
  AsciiMul: { flags: OF | AF | CF, why: "AAM AAD: OF AF CF undefined" },
  Decimal: { flags: OF, why: "DAA DAS: OF undefined" },
  Shift: { flags: 0, why: "SHL SAL SHR SAR: count 0 none; AF undefined; OF undefined unless count 1; CF undefined for SHL/SHR when count ≥ width" },
  Rotate: { flags: 0, why: "ROL ROR RCL RCR: count 0 none; OF undefined unless count 1" },
  DoubleShift: { flags: 0, why: "SHLD SHRD: count 0 none; AF undefined; OF undefined unless count 1; count > width: all flags and the result undefined" },
};

const RULE_OF: Record<string, string> = {
  And: "Logic", Or: "Logic", Xor: "Logic", Test: "Logic",
  Mul: "Mul", Imul: "Mul", Div: "Div", Idiv: "Div",
  Bt: "Bt", Bts: "Bt", Btr: "Bt", Btc: "Bt", Bsf: "Bsf", Bsr: "Bsf",
  Aaa: "AsciiAdd", Aas: "AsciiAdd", Aam: "AsciiMul", Aad: "AsciiMul", Daa: "Decimal", Das: "Decimal",
  Shl: "Shift", Sal: "Shift", Shr: "Shift", Sar: "Shift",
  Rol: "Rotate", Ror: "Rotate", Rcl: "Rotate", Rcr: "Rotate", Shld: "DoubleShift", Shrd: "DoubleShift",
};

function icedToEflags(r: number): number {
  let f = 0;
  if (r & RflagsBits.OF) f |= OF;
  if (r & RflagsBits.SF) f |= SF;
  if (r & RflagsBits.ZF) f |= ZF;
  if (r & RflagsBits.AF) f |= AF;
  if (r & RflagsBits.CF) f |= CF;
  if (r & RflagsBits.PF) f |= PF;
  return f;
}

export interface Undefined {
  /** EFLAGS bits not compared */
  flags: number;
  /** GPRs (bit i = register i, EAX..EDI) not compared */
  regs: number;
  /** the memory destination is not compared */
  memDest: boolean;
}

/** Operand width in bits of operand 0. */
function width(ins: Instruction): number {
  if (ins.op0Kind === OpKind.Memory) {
    const s = ins.memorySize;
    void s;
  }
  const name = Mnemonic[ins.mnemonic];
  void name;
  const r = ins.op0Kind === OpKind.Register ? ins.op0Register : Register.None;
  if (r >= Register.AL && r <= Register.BH) return 8;
  if (r >= Register.AX && r <= Register.DI) return 16;
  if (r >= Register.EAX && r <= Register.EDI) return 32;
  // memory operand: from the code name (…rm8… / …rm16… / …rm32…)
  return 0;
}

/**
 * The undefined parts of instance `ins`, given `count` (the shift count before masking, for the
 * shift families), `source` (BSF/BSR's source value) and its operand width in bits.
 */
export function undefinedFor(ins: Instruction, codeName: string, count: number, source: number): Undefined {
  const mn = Mnemonic[ins.mnemonic];
  const rule = RULE_OF[mn];
  const out: Undefined = { flags: 0, regs: 0, memDest: false };
  const bits = width(ins) || (/rm8|_m8/.test(codeName) ? 8 : /rm16|_m16|r16/.test(codeName) ? 16 : 32);
  const dest = () => {
    if (ins.op0Kind === OpKind.Register) out.regs |= 1 << gpr(ins.op0Register);
    else out.memDest = true;
  };
  if (rule === "Shift" || rule === "Rotate" || rule === "DoubleShift") {
    const c = count & 0x1f;
    if (c === 0) return out;
    if (c !== 1) out.flags |= OF;
    if (rule === "Shift") {
      out.flags |= AF;
      if ((mn === "Shl" || mn === "Sal" || mn === "Shr") && c >= bits) out.flags |= CF;
    }
    if (rule === "DoubleShift") {
      out.flags |= AF;
      if (c > bits) { out.flags |= ARITH; dest(); }
    }
    return out;
  }
  if (rule) out.flags |= FLAG_RULES[rule].flags;
  out.flags |= icedToEflags(ins.rflagsUndefined);
  if (rule === "Bsf" && source === 0) dest();
  if (mn === "Bswap" && bits === 16) dest();     // BSWAP r16: result undefined (SDM)
  if (mn === "Cpuid") out.regs |= 0xf;           // host-specific values
  if (mn === "Rdtsc") out.regs |= 0x5;           // the host's TSC, not the core's instruction count
  return out;
}

function gpr(r: Register): number {
  if (r >= Register.EAX && r <= Register.EDI) return r - Register.EAX;
  if (r >= Register.AX && r <= Register.DI) return r - Register.AX;
  if (r >= Register.AL && r <= Register.BL) return r - Register.AL;
  if (r >= Register.AH && r <= Register.BH) return r - Register.AH;
  return 0;
}
