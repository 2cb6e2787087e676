// Far transfers: JMP/CALL ptr16:16/32 and m16:16/32, RET far [imm16], IRET. The rules are in
// assembly/priv (far.ts, iret.ts, task.ts); args = operand size in bytes.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Jmp_ptr1616"], reg: "farJmpPtr", args: [2], ends: true },
  { codes: ["Jmp_ptr1632"], reg: "farJmpPtr", args: [4], ends: true },
  { codes: ["Jmp_m1616"], mem: "farJmpMem", args: [2], ends: true },
  { codes: ["Jmp_m1632"], mem: "farJmpMem", args: [4], ends: true },
  { codes: ["Call_ptr1616"], reg: "farCallPtr", args: [2], ends: true },
  { codes: ["Call_ptr1632"], reg: "farCallPtr", args: [4], ends: true },
  { codes: ["Call_m1616"], mem: "farCallMem", args: [2], ends: true },
  { codes: ["Call_m1632"], mem: "farCallMem", args: [4], ends: true },
  { codes: ["Retfw"], reg: "farRet", args: [2, 0], ends: true },
  { codes: ["Retfd"], reg: "farRet", args: [4, 0], ends: true },
  { codes: ["Retfw_imm16"], reg: "farRet", args: [2, 1], ends: true },
  { codes: ["Retfd_imm16"], reg: "farRet", args: [4, 1], ends: true },
  { codes: ["Iretw"], reg: "iretOp", args: [2], ends: true },
  { codes: ["Iretd"], reg: "iretOp", args: [4], ends: true },
];
