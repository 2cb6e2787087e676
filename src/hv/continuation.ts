// Hypercall continuations (Xen arch/x86/hypercall.c hypercall_create_continuation,
// common/multicall.c, hypercall_preempt_check). A long batch — mmu_update, mmuext_op, multicall —
// stops part-way when the hypervisor wants the CPU back and is restarted by the guest itself:
// the hypervisor rewrites the argument registers to describe the rest of the batch, sets EAX to
// the hypercall number and moves EIP back over the 2-byte `int $0x82`, so returning to the guest
// re-executes the hypercall. Inside a multicall the continuation is written into the multicall
// entry instead, and the multicall itself is continued at that entry. The guest sees one call
// that did all the work (mmu_update / mmuext_op keep *pdone counting across the restarts).
//
// Xen's hypercall_preempt_check asks whether a softirq or another vCPU is waiting — a matter of
// wall time. Here it is deterministic: every hypercall entry gets PREEMPT_BUDGET units of work,
// one unit per batch element (a multicall entry costs one, and a batch it runs one per element),
// and a batch preempts itself before an element (never before its first) once the budget is spent.
import type { Domain } from "./domain.ts";

/** Xen's internal "restart me" result (-ERESTART), never seen by the guest. */
export const ERESTART = 85;
/** Work units (batch elements) one hypercall entry may do before it is preempted. */
export const PREEMPT_BUDGET = 256;
/** The `int $0x82` the guest re-executes: 2 bytes. */
const INT_LEN = 2;
const ARG_REGS = ["ebx", "ecx", "edx", "esi", "edi", "ebp"] as const;

export class Preemption {
  /** the budget of each hypercall entry (tests lower it) */
  limit = PREEMPT_BUDGET;
  private used = 0;
  /** set while a multicall runs its entries: where a sub-call's continuation goes */
  multicall: { args: number[] | null } | null = null;
  /** how many continuations were created (for tests and --stats) */
  continuations = 0;

  /** A new hypercall entry from the guest. */
  start(): void { this.used = 0; }
  /**
   * Before batch element `i`: Xen's `i && hypercall_preempt_check()`. True when the element must
   * wait for the restart (never the first); otherwise one unit is charged.
   */
  check(i: number): boolean {
    if (i !== 0 && this.used >= this.limit) return true;
    this.used++;
    return false;
  }
}

/**
 * hypercall_create_continuation(op, args): make the guest re-issue hypercall `op` with `args`.
 * Returns the value the hypercall returns now (Xen: `op`, which is also what EAX must hold).
 */
export function createContinuation(d: Domain, op: number, args: number[]): number {
  const p = d.preempt;
  p.continuations++;
  if (p.multicall) {
    // Inside a multicall: set the entry's arguments, don't touch registers.
    p.multicall.args = args.map((a) => a >>> 0);
    return op;
  }
  const m = d.machine;
  args.forEach((a, i) => m.setReg(ARG_REGS[i], a >>> 0));
  m.setReg("eax", op);
  // Re-execute the `int $0x82` (the core left EIP just after it).
  m.eip = (m.eip - INT_LEN) >>> 0;
  return op;
}
