// LAR, LSL, VERR, VERW, ARPL: descriptor probes that report in ZF.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  // args: kind (0 LAR, 1 LSL), operand size
  { codes: ["Lar_r16_rm16"], reg: "larLslR", mem: "larLslM", args: [0, 2] },
  { codes: ["Lar_r32_r32m16"], reg: "larLslR", mem: "larLslM", args: [0, 4] },
  { codes: ["Lsl_r16_rm16"], reg: "larLslR", mem: "larLslM", args: [1, 2] },
  { codes: ["Lsl_r32_r32m16"], reg: "larLslR", mem: "larLslM", args: [1, 4] },
  { codes: ["Verr_rm16", "Verr_r32m16"], reg: "verR", mem: "verM", args: [2] },
  { codes: ["Verw_rm16", "Verw_r32m16"], reg: "verR", mem: "verM", args: [3] },
  { codes: ["Arpl_rm16_r16", "Arpl_r32m16_r32"], reg: "arplR", mem: "arplM" },
];
