// NOP, HLT, flag-bit instructions, IN/OUT, INT n / INT3 / INTO, CPUID, RDTSC.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Nopd", "Nopw", "Nop_rm16", "Nop_rm32", "Pause"], reg: "nop", mem: "nop", registersOnly: "both" },
  { codes: ["Hlt"], reg: "hlt", ends: true },
  { codes: ["Cli"], reg: "cli", ends: true },
  { codes: ["Sti"], reg: "sti", ends: true },
  { codes: ["Clc"], reg: "flagOp", registersOnly: "reg", args: [0] },
  { codes: ["Stc"], reg: "flagOp", registersOnly: "reg", args: [1] },
  { codes: ["Cmc"], reg: "flagOp", registersOnly: "reg", args: [2] },
  { codes: ["Cld"], reg: "flagOp", registersOnly: "reg", args: [3] },
  { codes: ["Std"], reg: "flagOp", registersOnly: "reg", args: [4] },
  // I/O: args = size, port from DX (0) or imm8 (1), direction in (0) / out (1)
  { codes: ["In_AL_imm8"], reg: "io", args: [1, 1, 0], ends: true },
  { codes: ["In_AX_imm8"], reg: "io", args: [2, 1, 0], ends: true },
  { codes: ["In_EAX_imm8"], reg: "io", args: [4, 1, 0], ends: true },
  { codes: ["In_AL_DX"], reg: "io", args: [1, 0, 0], ends: true },
  { codes: ["In_AX_DX"], reg: "io", args: [2, 0, 0], ends: true },
  { codes: ["In_EAX_DX"], reg: "io", args: [4, 0, 0], ends: true },
  { codes: ["Out_imm8_AL"], reg: "io", args: [1, 1, 1], ends: true },
  { codes: ["Out_imm8_AX"], reg: "io", args: [2, 1, 1], ends: true },
  { codes: ["Out_imm8_EAX"], reg: "io", args: [4, 1, 1], ends: true },
  { codes: ["Out_DX_AL"], reg: "io", args: [1, 0, 1], ends: true },
  { codes: ["Out_DX_AX"], reg: "io", args: [2, 0, 1], ends: true },
  { codes: ["Out_DX_EAX"], reg: "io", args: [4, 0, 1], ends: true },
  { codes: ["Int_imm8"], reg: "intN", ends: true },
  { codes: ["Int3"], reg: "int3", ends: true },
  { codes: ["Into"], reg: "into", ends: true },
];
