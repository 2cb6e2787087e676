// MUL, IMUL (one, two and three operands), DIV, IDIV.
import { type Form } from "./form.ts";

const SIZES: [string, number][] = [["8", 1], ["16", 2], ["32", 4]];
const rows: Form[] = [];
// one-operand forms on AL/AX/EAX (and AH/DX/EDX): args = kind (0 MUL, 1 IMUL, 2 DIV, 3 IDIV), size
// MUL and IMUL cannot fault; DIV and IDIV raise #DE
["Mul", "Imul", "Div", "Idiv"].forEach((k, kind) => {
  for (const [s, size] of SIZES) rows.push({ codes: [`${k}_rm${s}`], reg: "mulDivR", mem: "mulDivM", args: [kind, size], ...(kind < 2 ? { registersOnly: "reg" as const } : {}) });
});
// IMUL r, r/m and IMUL r, r/m, imm (the immediate is sign-extended by the decoder): args = size, has imm
rows.push({ codes: ["Imul_r16_rm16"], reg: "imulRR", mem: "imulRM", registersOnly: "reg", args: [2, 0] });
rows.push({ codes: ["Imul_r32_rm32"], reg: "imulRR", mem: "imulRM", registersOnly: "reg", args: [4, 0] });
rows.push({ codes: ["Imul_r16_rm16_imm16", "Imul_r16_rm16_imm8"], reg: "imulRR", mem: "imulRM", registersOnly: "reg", args: [2, 1] });
rows.push({ codes: ["Imul_r32_rm32_imm32", "Imul_r32_rm32_imm8"], reg: "imulRR", mem: "imulRM", registersOnly: "reg", args: [4, 1] });

export const forms: Form[] = rows;
