// Instructions of extensions this CPU does not have (docs/CPUID.md: leaf 1 reports no MMX, SSE…,
// leaf 7 does not exist). On a real processor whose CPUID clears the feature flag, such an
// encoding raises #UD (SDM Vol. 2, each instruction's "Exceptions": "#UD If CPUID.01H:EDX.SSE[bit
// 25] = 0", and so on), so the decoder gives it the #UD handler rather than "unimplemented".
// iced-x86 names the features an instruction needs (Instruction.cpuidFeatures()).
//
// Not here: x87 (forms/x87.ts: #NM with CR0.EM or CR0.TS, else #UD; docs/CPUID.md). LZCNT and TZCNT (BMI1) are not here either: without the feature their
// encodings are REP BSR / REP BSF, which execute.
import { CpuidFeature as F, type Instruction } from "./iced-wasm.ts";

const ABSENT = new Set<number>([
  F.MMX, F.SSE, F.SSE2, F.SSE3, F.SSSE3, F.SSE4_1, F.SSE4_2, F.SSE4A, F.FXSR, F.XSAVE, F.XSAVEC,
  F.XSAVEOPT, F.XSAVES, F.AVX, F.AVX2, F.FMA, F.FMA4, F.F16C, F.XOP, F.TBM, F.D3NOW, F.D3NOWEXT,
  F.AES, F.VAES, F.PCLMULQDQ, F.VPCLMULQDQ, F.SHA, F.GFNI, F.POPCNT, F.MOVBE, F.ADX, F.BMI2,
  F.RDRAND, F.RDSEED, F.CLFSH, F.CLFLUSHOPT, F.CLWB, F.MONITOR, F.RDTSCP,
  F.AVX512F, F.AVX512VL, F.AVX512BW, F.AVX512DQ, F.AVX512CD, F.AVX512ER, F.AVX512PF,
  F.AVX512_IFMA, F.AVX512_VBMI, F.AVX512_VBMI2, F.AVX512_VNNI, F.AVX512_BITALG,
  F.AVX512_VPOPCNTDQ, F.AVX512_4FMAPS, F.AVX512_4VNNIW, F.AVX512_BF16, F.AVX512_VP2INTERSECT,
  F.AVX512_FP16, F.AVX_VNNI, F.AVX_IFMA, F.AVX_NE_CONVERT, F.AVX_VNNI_INT8, F.AVX_VNNI_INT16,
]);

/** Does `instr` need an extension this CPU's CPUID does not report (and is therefore #UD)? */
export function needsAbsentFeature(instr: Instruction): boolean {
  for (const f of instr.cpuidFeatures()) if (ABSENT.has(f)) return true;
  return false;
}
