// ENTER, PUSHA/POPA, PUSHF/POPF. args = operand size in bytes.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Pushad"], reg: "pusha", args: [4] },
  { codes: ["Pushaw"], reg: "pusha", args: [2] },
  { codes: ["Popad"], reg: "popa", args: [4] },
  { codes: ["Popaw"], reg: "popa", args: [2] },
  { codes: ["Pushfd"], reg: "pushf", args: [4] },
  { codes: ["Pushfw"], reg: "pushf", args: [2] },
  // POPF can set IF: end the block so the run loop sees a pending interrupt at once
  { codes: ["Popfd"], reg: "popf", args: [4], ends: true },
  { codes: ["Popfw"], reg: "popf", args: [2], ends: true },
  { codes: ["Enterd_imm16_imm8"], reg: "enter", args: [4] },
  { codes: ["Enterw_imm16_imm8"], reg: "enter", args: [2] },
];
