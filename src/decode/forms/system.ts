// System instructions: descriptor-table registers, control/debug registers, TLB and cache
// control, MSRs, SYSENTER/SYSEXIT. Everything that changes paging, CPL or mode ends the block.
// Register operands: CRn/DRn are numbered n (src/decode/registers.ts).
import { type Form } from "./form.ts";

export const forms: Form[] = [
  // args: table (0 GDT, 1 IDT), operand size
  { codes: ["Lgdt_m1632_16"], mem: "lgdtLidt", args: [0, 2], ends: true },
  { codes: ["Lgdt_m1632"], mem: "lgdtLidt", args: [0, 4], ends: true },
  { codes: ["Lidt_m1632_16"], mem: "lgdtLidt", args: [1, 2], ends: true },
  { codes: ["Lidt_m1632"], mem: "lgdtLidt", args: [1, 4], ends: true },
  { codes: ["Sgdt_m1632_16", "Sgdt_m1632"], mem: "sgdtSidt", args: [0] },
  { codes: ["Sidt_m1632_16", "Sidt_m1632"], mem: "sgdtSidt", args: [1] },
  // args: which (0 LDTR, 1 TR, 2 MSW), operand size for a register destination
  { codes: ["Sldt_rm16"], reg: "storeSysR", mem: "storeSysM", args: [0, 2] },
  { codes: ["Sldt_r32m16"], reg: "storeSysR", mem: "storeSysM", args: [0, 4] },
  { codes: ["Str_rm16"], reg: "storeSysR", mem: "storeSysM", args: [1, 2] },
  { codes: ["Str_r32m16"], reg: "storeSysR", mem: "storeSysM", args: [1, 4] },
  { codes: ["Smsw_rm16"], reg: "storeSysR", mem: "storeSysM", args: [2, 2] },
  { codes: ["Smsw_r32m16"], reg: "storeSysR", mem: "storeSysM", args: [2, 4] },
  // args: which (0 LLDT, 1 LTR, 2 LMSW)
  { codes: ["Lldt_rm16", "Lldt_r32m16"], reg: "loadSysR", mem: "loadSysM", args: [0], ends: true },
  { codes: ["Ltr_rm16", "Ltr_r32m16"], reg: "loadSysR", mem: "loadSysM", args: [1], ends: true },
  { codes: ["Lmsw_rm16", "Lmsw_r32m16"], reg: "loadSysR", mem: "loadSysM", args: [2], ends: true },
  { codes: ["Mov_cr_r32"], reg: "movToCr", ends: true },
  { codes: ["Mov_r32_cr"], reg: "movFromCr" },
  { codes: ["Mov_dr_r32"], reg: "movToDr", ends: true },
  { codes: ["Mov_r32_dr"], reg: "movFromDr" },
  { codes: ["Clts"], reg: "clts" },
  { codes: ["Invlpg_m"], mem: "invlpg", ends: true },
  { codes: ["Wbinvd", "Invd"], reg: "cacheOp" },
  { codes: ["Rdmsr"], reg: "rdmsr" },
  { codes: ["Wrmsr"], reg: "wrmsr", ends: true },
  { codes: ["Sysenter"], reg: "sysenterOp", ends: true },
  { codes: ["Sysexitd"], reg: "sysexitOp", ends: true },
];
