// CBW/CWDE/CWD/CDQ, LAHF/SAHF, SALC, XLAT, BSWAP, CMPXCHG, CMPXCHG8B, XADD, BOUND, UD0/UD1/UD2,
// hint NOPs. args = operand size in bytes where it matters.
import { type Form, any } from "./form.ts";

const reservedNops = ["18", "19", "1A", "1B", "1C", "1D", "1E", "1F"]
  .flatMap((op) => [`Reservednop_rm16_r16_0F${op}`, `Reservednop_rm32_r32_0F${op}`]);

export const forms: Form[] = [
  { codes: ["Cbw"], reg: "cbw", registersOnly: "reg", args: [2] },
  { codes: ["Cwde"], reg: "cbw", registersOnly: "reg", args: [4] },
  { codes: ["Cwd"], reg: "cwd", registersOnly: "reg", args: [2] },
  { codes: ["Cdq"], reg: "cwd", registersOnly: "reg", args: [4] },
  { codes: ["Lahf"], reg: "lahf", registersOnly: "reg" },
  { codes: ["Sahf"], reg: "sahf", registersOnly: "reg" },
  { codes: ["Salc"], reg: "salc", registersOnly: "reg" },
  any(["Xlat_m8"], "xlat"),
  { codes: ["Bswap_r32"], reg: "bswap32", registersOnly: "reg" },
  { codes: ["Bswap_r16"], reg: "bswap16", registersOnly: "reg" },
  { codes: ["Cmpxchg_rm8_r8"], reg: "cmpxchgR", mem: "cmpxchgM", registersOnly: "reg", args: [1] },
  { codes: ["Cmpxchg_rm16_r16"], reg: "cmpxchgR", mem: "cmpxchgM", registersOnly: "reg", args: [2] },
  { codes: ["Cmpxchg_rm32_r32"], reg: "cmpxchgR", mem: "cmpxchgM", registersOnly: "reg", args: [4] },
  { codes: ["Cmpxchg8b_m64"], mem: "cmpxchg8b" },
  { codes: ["Xadd_rm8_r8"], reg: "xaddR", mem: "xaddM", registersOnly: "reg", args: [1] },
  { codes: ["Xadd_rm16_r16"], reg: "xaddR", mem: "xaddM", registersOnly: "reg", args: [2] },
  { codes: ["Xadd_rm32_r32"], reg: "xaddR", mem: "xaddM", registersOnly: "reg", args: [4] },
  { codes: ["Bound_r16_m1616"], mem: "bound", args: [2] },
  { codes: ["Bound_r32_m3232"], mem: "bound", args: [4] },
  any(["Ud0_r16_rm16", "Ud0_r32_rm32", "Ud1_r16_rm16", "Ud1_r32_rm32", "Ud2"], "udInsn"),
  // Hints: executed as NOPs by a CPU without the feature (none is reported by CPUID).
  any(["Prefetchnta_m8", "Prefetcht0_m8", "Prefetcht1_m8", "Prefetcht2_m8", "Cldemote_m8", "Endbr32", ...reservedNops], "hintNop"),
];
