// Raising exceptions. Faults are values: a handler that detects a fault calls raise*() and
// returns at once; the run loop sees `pending` and, before anything else happens, rolls EIP back
// to the faulting instruction (faults) or leaves it after the instruction (traps, INT n).
// Whether the core delivers the exception itself (IDT, bounce to a PV guest) or exits to the
// host is decided in exec/run.ts.
import {
  S_EXC_VECTOR, S_EXC_CODE, S_EXC_HAS_CODE, S_EXC_KIND, S_CR2, S_FAULT_COUNTS,
} from "../layout";

export const DE: u32 = 0;   // divide error
export const DB: u32 = 1;   // debug
export const NMI: u32 = 2;
export const BP: u32 = 3;   // INT3
export const OFV: u32 = 4;  // INTO
export const BR: u32 = 5;   // BOUND
export const UD: u32 = 6;   // invalid opcode
export const NM: u32 = 7;   // device not available
export const DF: u32 = 8;   // double fault
export const TS: u32 = 10;  // invalid TSS
export const NP: u32 = 11;  // segment not present
export const SS: u32 = 12;  // stack fault
export const GP: u32 = 13;  // general protection
export const PF: u32 = 14;  // page fault
export const MF: u32 = 16;
export const AC: u32 = 17;  // alignment check
export const MC: u32 = 18;

export const KIND_FAULT: u32 = 0;
export const KIND_TRAP: u32 = 1;
export const KIND_SOFT: u32 = 2;
/** raised by the hardware interrupt line (not an exception; no error code) */
export const KIND_EXTERNAL: u32 = 3;

/** Non-zero while an exception raised by the current instruction waits for delivery. */
export let pending: bool = false;

@inline export function clearPending(): void { pending = false; }

export function raise(vector: u32, code: u32, hasCode: bool, kind: u32): void {
  store<u32>(S_EXC_VECTOR, vector);
  store<u32>(S_EXC_CODE, code);
  store<u32>(S_EXC_HAS_CODE, hasCode ? 1 : 0);
  store<u32>(S_EXC_KIND, kind);
  // one counter per vector 0-255 (FAULT_COUNTS has 256)
  const at = S_FAULT_COUNTS + ((vector & 0xFF) << 3);
  store<u64>(at, load<u64>(at) + 1);
  pending = true;
}

/** A fault without error code (#DE, #UD, #NM, #BR, #MF). */
export function fault(vector: u32): void { raise(vector, 0, false, KIND_FAULT); }
/** A fault with error code (#TS, #NP, #SS, #GP, #AC). */
export function faultCode(vector: u32, code: u32): void { raise(vector, code, true, KIND_FAULT); }
export function gp(code: u32): void { raise(GP, code, true, KIND_FAULT); }
export function ud(): void { raise(UD, 0, false, KIND_FAULT); }
/** #PF: CR2 receives the linear address; the error code says why (SDM Vol. 3, 4.7). */
export function pageFault(lin: u32, code: u32): void {
  store<u32>(S_CR2, lin);
  raise(PF, code, true, KIND_FAULT);
}

/** Exceptions that push an error code (SDM Vol. 3, Table 6-1). */
export function vectorHasErrorCode(v: u32): bool {
  return v == DF || (v >= TS && v <= PF) || v == AC;
}
