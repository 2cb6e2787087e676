// String instructions MOVS CMPS STOS LODS SCAS INS OUTS; REP/REPE/REPNE and the address size
// come from the record's flags. args = operand size in bytes.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Movsb_m8_m8"], reg: "movs", args: [1] },
  { codes: ["Movsw_m16_m16"], reg: "movs", args: [2] },
  { codes: ["Movsd_m32_m32"], reg: "movs", args: [4] },
  { codes: ["Cmpsb_m8_m8"], reg: "cmps", args: [1] },
  { codes: ["Cmpsw_m16_m16"], reg: "cmps", args: [2] },
  { codes: ["Cmpsd_m32_m32"], reg: "cmps", args: [4] },
  { codes: ["Stosb_m8_AL"], reg: "stos", args: [1] },
  { codes: ["Stosw_m16_AX"], reg: "stos", args: [2] },
  { codes: ["Stosd_m32_EAX"], reg: "stos", args: [4] },
  { codes: ["Lodsb_AL_m8"], reg: "lods", args: [1] },
  { codes: ["Lodsw_AX_m16"], reg: "lods", args: [2] },
  { codes: ["Lodsd_EAX_m32"], reg: "lods", args: [4] },
  { codes: ["Scasb_AL_m8"], reg: "scas", args: [1] },
  { codes: ["Scasw_AX_m16"], reg: "scas", args: [2] },
  { codes: ["Scasd_EAX_m32"], reg: "scas", args: [4] },
  // port I/O exits to the host after every element
  { codes: ["Insb_m8_DX"], reg: "ins", args: [1], ends: true },
  { codes: ["Insw_m16_DX"], reg: "ins", args: [2], ends: true },
  { codes: ["Insd_m32_DX"], reg: "ins", args: [4], ends: true },
  { codes: ["Outsb_DX_m8"], reg: "outs", args: [1], ends: true },
  { codes: ["Outsw_DX_m16"], reg: "outs", args: [2], ends: true },
  { codes: ["Outsd_DX_m32"], reg: "outs", args: [4], ends: true },
];
