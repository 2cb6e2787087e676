// Architecture the core does not implement: the run stops with EXIT_INTERNAL, EXIT_ARG[0] =
// INTERNAL_UNSUPPORTED and EXIT_ARG[1] = one of the reasons below (named for people by
// src/core/unsupported.ts), with EIP at the instruction that needed it. Never a silent guess.
import { S_EIP, S_INSTR_EIP, S_EXIT_ARG, EXIT_INTERNAL } from "../layout";
import { requestExit } from "../exec/run";

export const INTERNAL_UNSUPPORTED: u32 = 3;

export const UNSUP_TSS16: u32 = 1;        // a task switch or stack switch through a 16-bit TSS
export const UNSUP_V86: u32 = 2;          // virtual-8086 mode (EFLAGS.VM)
export const UNSUP_REAL_MODE: u32 = 3;    // interrupts or CR0.PE = 0 (real mode)
export const UNSUP_BREAKPOINTS: u32 = 4;  // hardware breakpoints enabled in DR7
export const UNSUP_TASK_SWITCH: u32 = 5;  // (unused: task switches are implemented for 32-bit TSSs)
export const UNSUP_TASK_T: u32 = 6;       // a task switch to a TSS with the T (debug trap) flag
export const UNSUP_SINGLE_STEP: u32 = 7;  // EFLAGS.TF = 1: single-step #DB traps are not raised

export function unsupported(reason: u32): void {
  store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
  requestExit(EXIT_INTERNAL, INTERNAL_UNSUPPORTED);
  store<u32>(S_EXIT_ARG + 4, reason);
}
