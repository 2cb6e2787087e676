// NOP, HLT, CLC STC CMC CLD STD, CLI STI, IN OUT, INT n, INT3, INTO.
import {
  S_FLAGS, S_HALTED, S_INTR_SHADOW, S_IO_PORT, S_IO_SIZE, S_IO_DIR, S_IO_VALUE, R_EAX, R_EDX, EXIT_IO,
} from "../layout";
import { cpl, regN } from "../state";
import { gp, raise, BP, OFV, GP, KIND_SOFT, KIND_TRAP } from "../priv/exception";
import { getEflags, setEflags, getCF, getOF, CF, DF, IF, IOPL_MASK } from "./flags";
import { imm } from "./operand";
import { requestExit } from "./run";
import { ioAllowed } from "../priv/io";

export function nop(r: usize): void {}

/** HLT is privileged: CPL 0 only (SDM Vol. 2, HLT). */
export function hlt(r: usize): void {
  if (cpl() != 0) { gp(0); return; }
  store<u32>(S_HALTED, 1);
}

@inline function iopl(): u32 { return (load<u32>(S_FLAGS) & IOPL_MASK) >> 12; }

/** CLI/STI in protected mode: allowed when CPL <= IOPL, else #GP(0) (SDM Vol. 2, CLI). */
export function cli(r: usize): void {
  if (cpl() > iopl()) { gp(0); return; }
  store<u32>(S_FLAGS, load<u32>(S_FLAGS) & ~IF);
}
/** STI that sets IF holds interrupts off until the next instruction retires (SDM Vol. 2, STI). */
export function sti(r: usize): void {
  if (cpl() > iopl()) { gp(0); return; }
  const f = load<u32>(S_FLAGS);
  if (!(f & IF)) store<u32>(S_INTR_SHADOW, 1);
  store<u32>(S_FLAGS, f | IF);
}

/** 0 CLC, 1 STC, 2 CMC, 3 CLD, 4 STD. */
export function flagOp(r: usize, op: u32): void {
  switch (op) {
    case 0: case 1: case 2: {
      const f = getEflags();
      const c = op == 0 ? 0 : op == 1 ? CF : (f & CF) ^ CF;
      setEflags((f & ~CF) | c);
      break;
    }
    case 3: store<u32>(S_FLAGS, load<u32>(S_FLAGS) & ~DF); break;
    default: store<u32>(S_FLAGS, load<u32>(S_FLAGS) | DF); break;
  }
}

/**
 * IN / OUT: the core checks permission (priv/io.ts), then exits to the host, which performs the
 * access (for IN it writes AL/AX/EAX) before the next run().
 */
export function io(r: usize, size: u32, immPort: u32, out: u32): void {
  const port = immPort ? imm(r) & 0xFF : regN(R_EDX, 2);
  if (!ioAllowed(port, size)) return;
  store<u32>(S_IO_PORT, port);
  store<u32>(S_IO_SIZE, size);
  store<u32>(S_IO_DIR, out);
  store<u32>(S_IO_VALUE, out ? regN(R_EAX, size) : 0);
  requestExit(EXIT_IO, port);
}

/** INT n: a software interrupt; EIP already points after the instruction. */
export function intN(r: usize): void { raise(imm(r) & 0xFF, 0, false, KIND_SOFT); }
export function int3(r: usize): void { raise(BP, 0, false, KIND_TRAP); }
/** INTO: #OF (vector 4) as a trap when OF = 1. */
export function into(r: usize): void { if (getOF()) raise(OFV, 0, false, KIND_TRAP); }
void GP; void getCF;
