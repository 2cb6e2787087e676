// Far JMP/CALL/RET and IRET: operands here, rules in priv/far.ts and priv/iret.ts.
import { pending } from "../priv/exception";
import { farTransfer, farReturn, FAR_JMP, FAR_CALL } from "../priv/far";
import { iret } from "../priv/iret";
import { readN, read16 } from "../mmu/access";
import { seg, ea, imm, imm2, a16 } from "./operand";

// ptr16:16/32: the decoder puts the offset in IMM and the selector in IMM2.
export function farJmpPtr(r: usize, size: u32): void { farTransfer(imm2(r) & 0xFFFF, imm(r), size, FAR_JMP); }
export function farCallPtr(r: usize, size: u32): void { farTransfer(imm2(r) & 0xFFFF, imm(r), size, FAR_CALL); }

/** m16:16 / m16:32: the offset, then the selector. */
function viaMem(r: usize, size: u32, kind: u32): void {
  const s = seg(r), a = ea(r);
  const off = readN(s, a, size); if (pending) return;
  // the selector's offset is computed in the address size: with 16-bit addressing it wraps at 64K
  const sel = read16(s, a16(r) ? (a + size) & 0xFFFF : a + size); if (pending) return;
  farTransfer(sel, off, size, kind);
}
export function farJmpMem(r: usize, size: u32): void { viaMem(r, size, FAR_JMP); }
export function farCallMem(r: usize, size: u32): void { viaMem(r, size, FAR_CALL); }

export function farRet(r: usize, size: u32, hasImm: u32): void { farReturn(size, hasImm ? imm(r) & 0xFFFF : 0); }
export function iretOp(r: usize, size: u32): void { iret(size); }
