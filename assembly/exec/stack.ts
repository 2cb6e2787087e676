// PUSH, POP, LEAVE (SDM Vol. 2). PUSH ESP pushes the value before the push; POP ESP loads the
// popped value; POP to memory computes the address with ESP already incremented.
import { R_ESP, R_EBP, SR_SS } from "../layout";
import { regN, setRegN, reg32, setReg32, setReg16 } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN } from "../mmu/access";
import { r0, seg, ea, imm } from "./operand";
import { push, peek, setSp, spPlus, sp, stack32 } from "./stack-ops";

@inline export function pushR(r: usize, size: u32): void { push(regN(r0(r), size), size); }
export function pushM(r: usize, size: u32): void {
  const v = readN(seg(r), ea(r), size); if (pending) return;
  push(v, size);
}
@inline export function pushI(r: usize, size: u32): void { push(imm(r), size); }

@inline export function popR(r: usize, size: u32): void {
  const v = peek(0, size); if (pending) return;
  setSp(spPlus(size));
  setRegN(r0(r), v, size); // POP ESP: the popped value wins
}
export function popM(r: usize, size: u32): void {
  const v = peek(0, size); if (pending) return;
  const old = reg32(R_ESP);
  setSp(spPlus(size));
  // the destination address uses the incremented ESP (SDM: POP, "Operation")
  writeN(seg(r), ea(r), v, size);
  if (pending) setReg32(R_ESP, old);
}

/** LEAVE: ESP = EBP (by stack size), then pop EBP. */
export function leave(r: usize, size: u32): void {
  const bp = stack32() ? reg32(R_EBP) : reg32(R_EBP) & 0xFFFF;
  const v = readN(SR_SS, bp, size); if (pending) return;
  if (stack32()) setReg32(R_ESP, bp + size); else setReg16(R_ESP, (bp + size) & 0xFFFF);
  setRegN(R_EBP, v, size);
}
void sp;
