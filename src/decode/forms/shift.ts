// Shifts and rotates (ROL ROR RCL RCR SHL/SAL SHR SAR) by 1, by CL, by imm8; SHLD/SHRD.
// args: kind (the ModRM reg field of C0/C1/D0-D3: 0 ROL 1 ROR 2 RCL 3 RCR 4 SHL 5 SHR 6 SAL 7 SAR),
// size in bytes, count source (0 = the immediate, which iced reports as 1 for the D0/D1 forms;
// 1 = CL).
import { type Form } from "./form.ts";

const KINDS = ["Rol", "Ror", "Rcl", "Rcr", "Shl", "Shr", "Sal", "Sar"];
const SIZES: [string, number][] = [["8", 1], ["16", 2], ["32", 4]];

const rows: Form[] = [];
KINDS.forEach((k, kind) => {
  for (const [s, size] of SIZES) {
    rows.push({ codes: [`${k}_rm${s}_1`, `${k}_rm${s}_imm8`], reg: "shiftR", mem: "shiftM", registersOnly: "reg", args: [kind, size, 0] });
    rows.push({ codes: [`${k}_rm${s}_CL`], reg: "shiftR", mem: "shiftM", registersOnly: "reg", args: [kind, size, 1] });
  }
});

// SHLD/SHRD r/m, r, imm8|CL: args = left (1 SHLD, 0 SHRD), size, count source (0 imm, 1 CL)
for (const [k, left] of [["Shld", 1], ["Shrd", 0]] as const) {
  for (const [s, size] of [["16", 2], ["32", 4]] as const) {
    rows.push({ codes: [`${k}_rm${s}_r${s}_imm8`], reg: "shldR", mem: "shldM", registersOnly: "reg", args: [left, size, 0] });
    rows.push({ codes: [`${k}_rm${s}_r${s}_CL`], reg: "shldR", mem: "shldM", registersOnly: "reg", args: [left, size, 1] });
  }
}

export const forms: Form[] = rows;
