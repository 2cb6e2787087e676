// Model-specific registers (SDM Vol. 4): the few this processor has, RDMSR/WRMSR on them, and
// SYSENTER/SYSEXIT, which use the SYSENTER_* MSRs (SDM Vol. 2, SYSENTER, SYSEXIT).
import {
  S_SYSENTER_CS, S_SYSENTER_ESP, S_SYSENTER_EIP, S_EFER, S_INSNS, S_TSC_OFFSET,
} from "../layout";
import { gp } from "./exception";
import { writeEfer } from "./cr";
import { EFER_NXE } from "../mmu/walk";

export const MSR_TSC: u32 = 0x10;
export const MSR_SYSENTER_CS: u32 = 0x174;
export const MSR_SYSENTER_ESP: u32 = 0x175;
export const MSR_SYSENTER_EIP: u32 = 0x176;
export const MSR_EFER: u32 = 0xC0000080;

/** The time-stamp counter: retired instructions plus the offset WRMSR(TSC) set. */
@inline export function tsc(): u64 { return load<u64>(S_INSNS) + load<u64>(S_TSC_OFFSET); }

/** Result of the last successful msrRead. */
export let msrValue: u64 = 0;

/** RDMSR: an MSR this processor lacks is #GP(0) (SDM Vol. 2, RDMSR). */
export function msrRead(msr: u32): bool {
  switch (msr) {
    case MSR_TSC: msrValue = tsc(); return true;
    case MSR_SYSENTER_CS: msrValue = load<u32>(S_SYSENTER_CS); return true;
    case MSR_SYSENTER_ESP: msrValue = load<u32>(S_SYSENTER_ESP); return true;
    case MSR_SYSENTER_EIP: msrValue = load<u32>(S_SYSENTER_EIP); return true;
    case MSR_EFER: msrValue = load<u32>(S_EFER); return true;
  }
  gp(0);
  return false;
}

/**
 * WRMSR: unknown MSRs and reserved bits are #GP(0). EFER has only NXE here (no long mode and
 * no SYSCALL on this 32-bit processor). The SYSENTER MSRs keep their low 32 bits.
 */
export function msrWrite(msr: u32, v: u64): bool {
  switch (msr) {
    case MSR_TSC:
      store<u64>(S_TSC_OFFSET, v - load<u64>(S_INSNS));
      return true;
    case MSR_SYSENTER_CS: store<u32>(S_SYSENTER_CS, u32(v)); return true;
    case MSR_SYSENTER_ESP: store<u32>(S_SYSENTER_ESP, u32(v)); return true;
    case MSR_SYSENTER_EIP: store<u32>(S_SYSENTER_EIP, u32(v)); return true;
    case MSR_EFER:
      if (v & ~(<u64>EFER_NXE)) break;
      writeEfer(u32(v));
      return true;
  }
  gp(0);
  return false;
}
