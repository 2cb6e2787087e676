// One row per instruction form: which iced-x86 `Code`s it covers and which AssemblyScript handler
// executes them. scripts/gen-dispatch.ts turns all rows into assembly/exec/dispatch.ts (the switch
// the core dispatches on) and src/decode/ops.gen.ts (Code → handler number, for the decoder).
//
// Handlers live in assembly/exec/<family>.ts, where <family> is the name of the forms file that
// lists them, and have the signature `(r: usize, ...args: u32): void` (r = the record).

export interface Form {
  /** iced-x86 Code names (see node_modules/iced-x86/iced_x86.d.ts, enum Code) */
  codes: string[];
  /** handler when the instruction has no memory operand (or the ModRM operand is a register) */
  reg?: string;
  /** handler when the ModRM operand is memory */
  mem?: string;
  /** constant arguments passed after the record address */
  args?: number[];
  /** the block must end after this instruction (it changes the mode, CPL, paging or flow) */
  ends?: boolean;
  /**
   * The handler of this variant reads and writes only general registers, the record and EFLAGS'
   * arithmetic bits (CF PF AF ZF SF OF) and DF, and cannot fault or ask for an exit: run()
   * executes it without the per-instruction bookkeeping (EIP, INSTR_EIP and INSNS in memory, the
   * pending/exit test). "reg" for the register variant; "mem" for LEA, whose memory operand is
   * an address it computes, not an access; "both" when neither variant accesses memory (NOP).
   */
  registersOnly?: "reg" | "mem" | "both";
  /**
   * The (register) handler is a near relative branch: besides what `registersOnly` allows it
   * reads EIP (the next instruction's), writes it, and may raise #GP(0) (target beyond the CS
   * limit), nothing else. run() gives it a shorter path, and a block that contains nothing else
   * runs again without being looked up.
   */
  nearBranch?: boolean;
}

/** Shorthand: the same handler whatever the operand. */
export function any(codes: string[], handler: string, args: number[] = [], ends = false): Form {
  return { codes, reg: handler, mem: handler, args, ends };
}

/** ModRM-operand ALU kinds, in the order of the ModRM reg field of opcodes 80-83 (SDM Vol. 2, A.4). */
export const ALU = { ADD: 0, OR: 1, ADC: 2, SBB: 3, AND: 4, SUB: 5, XOR: 6, CMP: 7 } as const;
