// How a run's outcome becomes the command's exit status and its one-line report (README
// "Exit status"):
//   (v << 1) | 1  the guest wrote v to the exit port 0xF4 (low 8 bits, as with QEMU)
//   0             the guest halted for good (HLT with interrupts off, or nothing left to wake it)
//   1             internal error or triple fault, reported with the guest's EIP
//   2             bad input (BadImageError)
//   3             the instruction limit (--max-insns) was reached
import type { Outcome } from "./pc.ts";

export const STATUS_HALTED = 0;
export const STATUS_CRASH = 1;
export const STATUS_BAD_INPUT = 2;
export const STATUS_MAX_INSNS = 3;

export function outcomeStatus(o: Outcome): number {
  switch (o.kind) {
    case "exit": return o.status;
    case "halted": return STATUS_HALTED;
    case "max-insns": return STATUS_MAX_INSNS;
    case "triple-fault": return STATUS_CRASH;
    case "internal": return STATUS_CRASH;
  }
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/** The line reported on stderr, or undefined when the guest ended the run itself. */
export function describeOutcome(o: Outcome, instructions: bigint): string | undefined {
  switch (o.kind) {
    case "exit": return undefined;
    case "halted":
      return o.interruptsEnabled
        ? `the guest halted at EIP ${hex(o.eip)} with no interrupt source left to wake it`
        : `the guest halted with interrupts disabled at EIP ${hex(o.eip)}`;
    case "max-insns": return `stopped at the instruction limit (--max-insns): ${instructions} instructions, EIP ${hex(o.eip)}`;
    case "triple-fault": return `triple fault at EIP ${hex(o.eip)}: the CPU shut down`;
    case "internal": return `internal error at guest EIP ${hex(o.eip)}: ${o.message}`;
  }
}
