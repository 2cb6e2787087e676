// BT BTS BTR BTC (register or imm8 bit offset), BSF BSR.
import { type Form } from "./form.ts";

const rows: Form[] = [];
// args = kind (0 BT, 1 BTS, 2 BTR, 3 BTC), size
["Bt", "Bts", "Btr", "Btc"].forEach((k, kind) => {
  for (const [s, size] of [["16", 2], ["32", 4]] as const) {
    rows.push({ codes: [`${k}_rm${s}_r${s}`], reg: "btRR", mem: "btMR", registersOnly: "reg", args: [kind, size] });
    rows.push({ codes: [`${k}_rm${s}_imm8`], reg: "btRI", mem: "btMI", registersOnly: "reg", args: [kind, size] });
  }
});
// args = reverse (0 BSF, 1 BSR), size. F3 0F BC/BD (TZCNT/LZCNT, which iced decodes by name) are
// BSF/BSR with an ignored REP prefix on a CPU without BMI1/ABM (SDM TZCNT, LZCNT: "executed as
// BSF/BSR"); CPUID reports neither, and gcc -O2 emits "rep bsf" for __builtin_ctz.
rows.push({ codes: ["Bsf_r16_rm16", "Tzcnt_r16_rm16"], reg: "bsfR", mem: "bsfM", registersOnly: "reg", args: [0, 2] });
rows.push({ codes: ["Bsf_r32_rm32", "Tzcnt_r32_rm32"], reg: "bsfR", mem: "bsfM", registersOnly: "reg", args: [0, 4] });
rows.push({ codes: ["Bsr_r16_rm16", "Lzcnt_r16_rm16"], reg: "bsfR", mem: "bsfM", registersOnly: "reg", args: [1, 2] });
rows.push({ codes: ["Bsr_r32_rm32", "Lzcnt_r32_rm32"], reg: "bsfR", mem: "bsfM", registersOnly: "reg", args: [1, 4] });

export const forms: Form[] = rows;
