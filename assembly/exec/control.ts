// Near control transfers (SDM Vol. 2: JMP, Jcc, CALL, RET, LOOP, JCXZ). A target beyond the CS
// limit raises #GP(0) at the branch; with a 16-bit operand size the target is truncated to 16 bits.
import { S_EIP, SR_CS, R_ECX } from "../layout";
import { reg32, setReg32, setReg16, regN, segLimit } from "../state";
import { pending, gp } from "../priv/exception";
import { readN } from "../mmu/access";
import { condition, getZF } from "./flags";
import { r0, seg, ea, imm, imm2, a16 } from "./operand";
import { push, peek, setSp, spPlus } from "./stack-ops";

/** Jump to `target` (operand size `size`), checking the CS limit. */
@inline export function branch(target: u32, size: u32): void {
  if (size == 2) target &= 0xFFFF;
  if (target > segLimit(SR_CS)) { gp(0); return; }
  store<u32>(S_EIP, target);
}

@inline export function jmpRel(r: usize, size: u32): void { branch(load<u32>(S_EIP) + imm2(r), size); }

/** Jcc: `cond` is the condition (tttn), a constant of the form (the record's CC holds it too). */
@inline export function jcc(r: usize, size: u32, cond: u32): void {
  if (condition(cond)) branch(load<u32>(S_EIP) + imm2(r), size);
}

@inline export function callRel(r: usize, size: u32): void {
  const next = load<u32>(S_EIP);
  const target = (next + imm2(r)) & (size == 2 ? 0xFFFF : 0xFFFFFFFF);
  if (target > segLimit(SR_CS)) { gp(0); return; }
  push(next, size);
  if (pending) return;
  store<u32>(S_EIP, target);
}

export function jmpIndR(r: usize, size: u32): void { branch(regN(r0(r), size), size); }
export function jmpIndM(r: usize, size: u32): void {
  const t = readN(seg(r), ea(r), size); if (pending) return;
  branch(t, size);
}

function callTo(target: u32, size: u32): void {
  if (size == 2) target &= 0xFFFF;
  if (target > segLimit(SR_CS)) { gp(0); return; }
  push(load<u32>(S_EIP), size);
  if (pending) return;
  store<u32>(S_EIP, target);
}
export function callIndR(r: usize, size: u32): void { callTo(regN(r0(r), size), size); }
export function callIndM(r: usize, size: u32): void {
  const t = readN(seg(r), ea(r), size); if (pending) return;
  callTo(t, size);
}

/** RET / RET imm16: pop EIP (operand size), then release imm16 bytes of arguments. */
@inline export function retNear(r: usize, size: u32, hasImm: u32): void {
  const t = peek(0, size); if (pending) return;
  const target = size == 2 ? t & 0xFFFF : t;
  if (target > segLimit(SR_CS)) { gp(0); return; }
  setSp(spPlus(size + (hasImm ? imm(r) & 0xFFFF : 0)));
  store<u32>(S_EIP, target);
}

/** LOOP (0), LOOPE (1), LOOPNE (2), JCXZ/JECXZ (3). The counter is CX or ECX by address size. */
@inline export function loop(r: usize, kind: u32, size: u32): void {
  const wide = !a16(r);
  let c = wide ? reg32(R_ECX) : reg32(R_ECX) & 0xFFFF;
  let take: bool;
  if (kind == 3) {
    take = c == 0;
  } else {
    c = wide ? c - 1 : (c - 1) & 0xFFFF;
    take = c != 0;
    if (kind == 1) take = take && getZF();
    else if (kind == 2) take = take && !getZF();
  }
  if (take) {
    branch(load<u32>(S_EIP) + imm2(r), size);
    if (pending) return; // the #GP leaves the counter unchanged
  }
  if (kind != 3) { if (wide) setReg32(R_ECX, c); else setReg16(R_ECX, c); }
}
