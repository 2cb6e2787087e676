// Data movement: MOV, MOVZX, MOVSX, LEA, XCHG. No flags change.
import { REC_FLAGS } from "../layout";
import { regN, setRegN, setReg32, setReg16 } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN, readForWrite } from "../mmu/access";
import { r0, r1, seg, ea, imm, RF_MEM } from "./operand";

@inline export function movRR(r: usize, size: u32): void { setRegN(r0(r), regN(r1(r), size), size); }

/** MOV with one memory operand: store when operand 0 is memory, else load. */
@inline export function movMR_or_RM(r: usize, size: u32): void {
  // The decoder puts the register in R0 for loads and in R1 for stores; R0 = 0xFF marks a store.
  if (r0(r) == 0xFF) {
    writeN(seg(r), ea(r), regN(r1(r), size), size);
  } else {
    const v = readN(seg(r), ea(r), size);
    if (pending) return;
    setRegN(r0(r), v, size);
  }
}

@inline export function movRI(r: usize, size: u32): void { setRegN(r0(r), imm(r), size); }
@inline export function movMI(r: usize, size: u32): void { writeN(seg(r), ea(r), imm(r), size); }

@inline function zx(v: u32, from: u32): u32 { return from == 1 ? v & 0xFF : v & 0xFFFF; }
@inline function sx(v: u32, from: u32): u32 { return from == 1 ? <u32>(<i32>(<i8>v)) : <u32>(<i32>(<i16>v)); }

export function movzxR(r: usize, size: u32, from: u32): void { setRegN(r0(r), zx(regN(r1(r), from), from), size); }
export function movzxM(r: usize, size: u32, from: u32): void {
  const v = readN(seg(r), ea(r), from); if (pending) return;
  setRegN(r0(r), zx(v, from), size);
}
export function movsxR(r: usize, size: u32, from: u32): void { setRegN(r0(r), sx(regN(r1(r), from), from), size); }
export function movsxM(r: usize, size: u32, from: u32): void {
  const v = readN(seg(r), ea(r), from); if (pending) return;
  setRegN(r0(r), sx(v, from), size);
}

/** LEA: the effective address (truncated to the operand size), no memory access. */
@inline export function lea(r: usize, size: u32): void {
  if (size == 4) setReg32(r0(r), ea(r)); else setReg16(r0(r), ea(r));
}

export function xchgRR(r: usize, size: u32): void {
  const a = regN(r0(r), size), b = regN(r1(r), size);
  setRegN(r0(r), b, size);
  setRegN(r1(r), a, size);
}
/** XCHG with memory (always locked on the CPU; atomic here since the core is single-threaded). */
export function xchgMR(r: usize, size: u32): void {
  const s = seg(r), off = ea(r);
  const m = readForWrite(s, off, size); if (pending) return;
  writeN(s, off, regN(r1(r), size), size);
  setRegN(r1(r), m, size);
}
