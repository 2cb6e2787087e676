// Stack accesses through SS: ESP or SP by SS.B (SDM Vol. 1, 6.2.3). A push that faults leaves
// ESP unchanged; pops are split into peek + commit so an instruction can fault after reading.
import { SR_SS, R_ESP } from "../layout";
import { reg32, setReg32, setReg16, segAttr, ATTR_DB } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN } from "../mmu/access";

@inline export function stack32(): bool { return (segAttr(SR_SS) & ATTR_DB) != 0; }
@inline export function sp(): u32 { return stack32() ? reg32(R_ESP) : reg32(R_ESP) & 0xFFFF; }
@inline export function setSp(v: u32): void { if (stack32()) setReg32(R_ESP, v); else setReg16(R_ESP, v); }
/** SP moved by `delta` bytes with the stack's wrap-around. */
@inline export function spPlus(delta: u32): u32 { return stack32() ? sp() + delta : (sp() + delta) & 0xFFFF; }

@inline export function push(v: u32, size: u32): void {
  const nsp = spPlus(-size);
  writeN(SR_SS, nsp, v, size);
  if (pending) return;
  setSp(nsp);
}

/** Read the value `depth` bytes above the top of stack (no ESP change). */
@inline export function peek(depth: u32, size: u32): u32 {
  return readN(SR_SS, spPlus(depth), size);
}

/** Pop: read, and only if that did not fault, move ESP. */
export function pop(size: u32): u32 {
  const v = readN(SR_SS, sp(), size);
  if (pending) return 0;
  setSp(spPlus(size));
  return v;
}
