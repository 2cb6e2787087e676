// PUSH, POP (general registers, memory, immediates), LEAVE.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Push_r32", "Push_rm32"], reg: "pushR", mem: "pushM", args: [4] },
  { codes: ["Push_r16", "Push_rm16"], reg: "pushR", mem: "pushM", args: [2] },
  { codes: ["Pushd_imm8", "Pushd_imm32"], reg: "pushI", args: [4] },
  { codes: ["Pushw_imm8", "Push_imm16"], reg: "pushI", args: [2] },
  { codes: ["Pop_r32", "Pop_rm32"], reg: "popR", mem: "popM", args: [4] },
  { codes: ["Pop_r16", "Pop_rm16"], reg: "popR", mem: "popM", args: [2] },
  { codes: ["Leaved"], reg: "leave", args: [4] },
  { codes: ["Leavew"], reg: "leave", args: [2] },
];
