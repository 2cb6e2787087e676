// Reading a decoded record (layout: src/core/layout-table.ts RECORD_FIELDS). `r` is the record's
// Wasm address. Registers in R0/R1/R2 use the numbering of src/decode/registers.ts: GPRs by
// ModRM number, 8-bit registers AL CL DL BL AH CH DH BH = 0-7, segment registers in Sreg order.
import {
  REC_LEN, REC_FLAGS, REC_R0, REC_R1, REC_R2, REC_BASE, REC_INDEX, REC_SCALE, REC_SEG, REC_CC,
  REC_DISP, REC_IMM, REC_IMM2, S_GPR,
} from "../layout";

// REC_FLAGS bits (written by src/decode/decoder.ts).
/** operand size is 16 bits (the Code already says so; kept for size-generic handlers) */
export const RF_O16: u32 = 1 << 0;
/** address size is 16 bits: effective addresses wrap at 64 KiB, string ops use SI/DI/CX */
export const RF_A16: u32 = 1 << 1;
export const RF_LOCK: u32 = 1 << 2;
/** REP / REPE prefix (F3) */
export const RF_REP: u32 = 1 << 3;
/** REPNE prefix (F2) */
export const RF_REPNE: u32 = 1 << 4;
/** the ModRM operand is memory */
export const RF_MEM: u32 = 1 << 5;

/** no base / index register */
export const NO_REG: u32 = 8;

@inline export function recLen(r: usize): u32 { return load<u8>(r, REC_LEN); }
@inline export function recFlags(r: usize): u32 { return load<u8>(r, REC_FLAGS); }
@inline export function r0(r: usize): u32 { return load<u8>(r, REC_R0); }
@inline export function r1(r: usize): u32 { return load<u8>(r, REC_R1); }
@inline export function r2(r: usize): u32 { return load<u8>(r, REC_R2); }
@inline export function seg(r: usize): u32 { return load<u8>(r, REC_SEG); }
@inline export function cc(r: usize): u32 { return load<u8>(r, REC_CC); }
@inline export function imm(r: usize): u32 { return load<u32>(r, REC_IMM); }
@inline export function imm2(r: usize): u32 { return load<u32>(r, REC_IMM2); }
@inline export function a16(r: usize): bool { return (load<u8>(r, REC_FLAGS) & RF_A16) != 0; }

/** Effective address (offset in the segment) of the memory operand (SDM Vol. 2, 2.1.5). */
@inline export function ea(r: usize): u32 {
  let a = load<u32>(r, REC_DISP);
  const b = load<u8>(r, REC_BASE);
  if (b < NO_REG) a += load<u32>(b << 2, S_GPR);
  const i = load<u8>(r, REC_INDEX);
  if (i < NO_REG) a += load<u32>(i << 2, S_GPR) << load<u8>(r, REC_SCALE);
  if (load<u8>(r, REC_FLAGS) & RF_A16) a &= 0xFFFF;
  return a;
}
