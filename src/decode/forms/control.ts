// Near control transfers: JMP, Jcc, CALL, RET, LOOP/LOOPcc, JCXZ/JECXZ.
// The decoder stores branch displacements relative to the next instruction in IMM2 and the
// condition (Intel tttn) in CC.
import { type Form } from "./form.ts";

const CC = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"];
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

export const forms: Form[] = [
  { codes: ["Jmp_rel8_32", "Jmp_rel32_32"], reg: "jmpRel", args: [4], ends: true, nearBranch: true },
  { codes: ["Jmp_rel8_16", "Jmp_rel16"], reg: "jmpRel", args: [2], ends: true, nearBranch: true },
  // args: size, condition (tttn = the index in CC)
  ...CC.map((c, cc): Form => ({ codes: [`J${c}_rel8_32`, `J${c}_rel32_32`], reg: "jcc", args: [4, cc], ends: true, nearBranch: true })),
  ...CC.map((c, cc): Form => ({ codes: [`J${c}_rel8_16`, `J${c}_rel16`], reg: "jcc", args: [2, cc], ends: true, nearBranch: true })),
  { codes: ["Call_rel32_32"], reg: "callRel", args: [4], ends: true },
  { codes: ["Call_rel16"], reg: "callRel", args: [2], ends: true },
  { codes: ["Jmp_rm32"], reg: "jmpIndR", mem: "jmpIndM", args: [4], ends: true },
  { codes: ["Jmp_rm16"], reg: "jmpIndR", mem: "jmpIndM", args: [2], ends: true },
  { codes: ["Call_rm32"], reg: "callIndR", mem: "callIndM", args: [4], ends: true },
  { codes: ["Call_rm16"], reg: "callIndR", mem: "callIndM", args: [2], ends: true },
  { codes: ["Retnd"], reg: "retNear", args: [4, 0], ends: true },
  { codes: ["Retnw"], reg: "retNear", args: [2, 0], ends: true },
  { codes: ["Retnd_imm16"], reg: "retNear", args: [4, 1], ends: true },
  { codes: ["Retnw_imm16"], reg: "retNear", args: [2, 1], ends: true },
  // LOOP kinds: 0 LOOP, 1 LOOPE, 2 LOOPNE, 3 JCXZ; counter size from the address size (RF_A16)
  { codes: ["Loop_rel8_32_ECX", "Loop_rel8_32_CX"], reg: "loop", args: [0, 4], ends: true, nearBranch: true },
  { codes: ["Loop_rel8_16_ECX", "Loop_rel8_16_CX"], reg: "loop", args: [0, 2], ends: true, nearBranch: true },
  { codes: ["Loope_rel8_32_ECX", "Loope_rel8_32_CX"], reg: "loop", args: [1, 4], ends: true, nearBranch: true },
  { codes: ["Loope_rel8_16_ECX", "Loope_rel8_16_CX"], reg: "loop", args: [1, 2], ends: true, nearBranch: true },
  { codes: ["Loopne_rel8_32_ECX", "Loopne_rel8_32_CX"], reg: "loop", args: [2, 4], ends: true, nearBranch: true },
  { codes: ["Loopne_rel8_16_ECX", "Loopne_rel8_16_CX"], reg: "loop", args: [2, 2], ends: true, nearBranch: true },
  { codes: ["Jecxz_rel8_32", "Jcxz_rel8_32"], reg: "loop", args: [3, 4], ends: true, nearBranch: true },
  { codes: ["Jecxz_rel8_16", "Jcxz_rel8_16"], reg: "loop", args: [3, 2], ends: true, nearBranch: true },
];
void cap;
