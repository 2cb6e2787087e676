// SETcc and CMOVcc (SDM Vol. 2). The condition (tttn) comes from the record's CC field.
// CMOVcc with a memory source reads it whatever the condition, so it can fault even when it does
// not move (SDM CMOVcc: "the source operand is read" ... "a memory fault may be signaled").
import { setReg8, regN, setRegN } from "../state";
import { pending } from "../priv/exception";
import { readN, write8 } from "../mmu/access";
import { testCC } from "./flags";
import { r0, r1, seg, ea, cc } from "./operand";

export function setccR(r: usize): void { setReg8(r0(r), u32(testCC(cc(r)))); }
export function setccM(r: usize): void { write8(seg(r), ea(r), u32(testCC(cc(r)))); }

export function cmovR(r: usize, size: u32): void {
  if (testCC(cc(r))) setRegN(r0(r), regN(r1(r), size), size);
}
export function cmovM(r: usize, size: u32): void {
  const v = readN(seg(r), ea(r), size);
  if (pending) return;
  if (testCC(cc(r))) setRegN(r0(r), v, size);
}
