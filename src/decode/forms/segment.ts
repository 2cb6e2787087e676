// Segment registers: MOV to/from Sreg, PUSH/POP Sreg, LDS LES LFS LGS LSS.
// Loads end the block: MOV SS / POP SS / LSS open an interrupt shadow the run loop honours at
// block boundaries. Sreg numbers: ES 0, CS 1, SS 2, DS 3, FS 4, GS 5.
import { type Form } from "./form.ts";

const SREGS = ["ES", "CS", "SS", "DS", "FS", "GS"];

export const forms: Form[] = [
  { codes: ["Mov_Sreg_rm16", "Mov_Sreg_r32m16"], reg: "movSregR", mem: "movSregM", ends: true },
  { codes: ["Mov_rm16_Sreg"], reg: "movFromSregR", mem: "movFromSregM", args: [2] },
  { codes: ["Mov_r32m16_Sreg"], reg: "movFromSregR", mem: "movFromSregM", args: [4] },
  ...SREGS.flatMap((s, i): Form[] => [
    { codes: [`Pushw_${s}`], reg: "pushSreg", args: [i, 2] },
    { codes: [`Pushd_${s}`], reg: "pushSreg", args: [i, 4] },
    ...(s === "CS" ? [] : [
      { codes: [`Popw_${s}`], reg: "popSreg", args: [i, 2], ends: true },
      { codes: [`Popd_${s}`], reg: "popSreg", args: [i, 4], ends: true },
    ]),
  ]),
  ...([["Les", 0], ["Lss", 2], ["Lds", 3], ["Lfs", 4], ["Lgs", 5]] as [string, number][]).flatMap(([m, i]): Form[] => [
    { codes: [`${m}_r16_m1616`], mem: "loadFarPtr", args: [i, 2], ends: true },
    { codes: [`${m}_r32_m1632`], mem: "loadFarPtr", args: [i, 4], ends: true },
  ]),
];
