// SETcc and CMOVcc (all 16 conditions; the decoder stores the condition in CC).
import { type Form } from "./form.ts";

const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];

export const forms: Form[] = [
  { codes: CC.map((c) => `Set${c}_rm8`), reg: "setccR", mem: "setccM", registersOnly: "reg" },
  { codes: CC.map((c) => `Cmov${c}_r16_rm16`), reg: "cmovR", mem: "cmovM", registersOnly: "reg", args: [2] },
  { codes: CC.map((c) => `Cmov${c}_r32_rm32`), reg: "cmovR", mem: "cmovM", registersOnly: "reg", args: [4] },
];
