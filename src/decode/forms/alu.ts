// ADD OR ADC SBB AND SUB XOR CMP, TEST, INC, DEC, NEG, NOT.
import { type Form, ALU } from "./form.ts";

const KINDS: [string, number][] = [
  ["Add", ALU.ADD], ["Or", ALU.OR], ["Adc", ALU.ADC], ["Sbb", ALU.SBB],
  ["And", ALU.AND], ["Sub", ALU.SUB], ["Xor", ALU.XOR], ["Cmp", ALU.CMP],
];

const rows: Form[] = [];
for (const [m, k] of KINDS) {
  // operand 0 is the destination (register or memory), operand 1 the source
  rows.push({ codes: [`${m}_rm8_r8`], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [k, 1] });
  rows.push({ codes: [`${m}_rm16_r16`], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [k, 2] });
  rows.push({ codes: [`${m}_rm32_r32`], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [k, 4] });
  rows.push({ codes: [`${m}_r8_rm8`], reg: "aluRR", mem: "aluRM", registersOnly: "reg", args: [k, 1] });
  rows.push({ codes: [`${m}_r16_rm16`], reg: "aluRR", mem: "aluRM", registersOnly: "reg", args: [k, 2] });
  rows.push({ codes: [`${m}_r32_rm32`], reg: "aluRR", mem: "aluRM", registersOnly: "reg", args: [k, 4] });
  rows.push({ codes: [`${m}_AL_imm8`, `${m}_rm8_imm8`, `${m}_rm8_imm8_82`], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [k, 1] });
  rows.push({ codes: [`${m}_AX_imm16`, `${m}_rm16_imm16`, `${m}_rm16_imm8`], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [k, 2] });
  rows.push({ codes: [`${m}_EAX_imm32`, `${m}_rm32_imm32`, `${m}_rm32_imm8`], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [k, 4] });
}

const TEST = 8;
export const forms: Form[] = [
  ...rows,
  { codes: ["Test_rm8_r8"], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [TEST, 1] },
  { codes: ["Test_rm16_r16"], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [TEST, 2] },
  { codes: ["Test_rm32_r32"], reg: "aluRR", mem: "aluMR", registersOnly: "reg", args: [TEST, 4] },
  { codes: ["Test_AL_imm8", "Test_rm8_imm8", "Test_rm8_imm8_F6r1"], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [TEST, 1] },
  { codes: ["Test_AX_imm16", "Test_rm16_imm16", "Test_rm16_imm16_F7r1"], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [TEST, 2] },
  { codes: ["Test_EAX_imm32", "Test_rm32_imm32", "Test_rm32_imm32_F7r1"], reg: "aluRI", mem: "aluMI", registersOnly: "reg", args: [TEST, 4] },
  { codes: ["Inc_rm8"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [0, 1] },
  { codes: ["Inc_r16", "Inc_rm16"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [0, 2] },
  { codes: ["Inc_r32", "Inc_rm32"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [0, 4] },
  { codes: ["Dec_rm8"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [1, 1] },
  { codes: ["Dec_r16", "Dec_rm16"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [1, 2] },
  { codes: ["Dec_r32", "Dec_rm32"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [1, 4] },
  { codes: ["Neg_rm8"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [2, 1] },
  { codes: ["Neg_rm16"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [2, 2] },
  { codes: ["Neg_rm32"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [2, 4] },
  { codes: ["Not_rm8"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [3, 1] },
  { codes: ["Not_rm16"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [3, 2] },
  { codes: ["Not_rm32"], reg: "unaryR", mem: "unaryM", registersOnly: "reg", args: [3, 4] },
];
