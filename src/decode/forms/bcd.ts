// Decimal adjusts: DAA DAS AAA AAS AAM AAD.
import { type Form } from "./form.ts";

export const forms: Form[] = [
  { codes: ["Daa"], reg: "daa" },
  { codes: ["Das"], reg: "das" },
  { codes: ["Aaa"], reg: "aaa" },
  { codes: ["Aas"], reg: "aas" },
  { codes: ["Aam_imm8"], reg: "aam" },
  { codes: ["Aad_imm8"], reg: "aad" },
];
