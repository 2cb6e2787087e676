// Two-operand ALU (ADD OR ADC SBB AND SUB XOR CMP TEST) and INC DEC NEG NOT.
// Flags per SDM Vol. 2: arithmetic ops set OF SF ZF AF CF PF from the result; logic ops clear
// OF and CF and set SF ZF PF (AF undefined: 0 here, as on the CPUs we test against).
import { regN, setRegN } from "../state";
import { pending } from "../priv/exception";
import { readN, writeN, readForWrite } from "../mmu/access";
import {
  setLazy, setLazyKeepCF, getCF, LAZY_ADD, LAZY_ADC, LAZY_SUB, LAZY_SBB, LAZY_LOGIC,
} from "./flags";
import { r0, r1, seg, ea, imm } from "./operand";

const ADD: u32 = 0, OR: u32 = 1, ADC: u32 = 2, SBB: u32 = 3, AND: u32 = 4, SUB: u32 = 5, XOR: u32 = 6, CMP: u32 = 7, TEST: u32 = 8;

/** Compute `a op b` at `size` bytes, setting the flags; returns the (unmasked) result. */
@inline function alu(op: u32, a: u32, b: u32, size: u32): u32 {
  const bits = (size << 3) - 1;
  let res: u32;
  switch (op) {
    case ADD: res = a + b; setLazy(LAZY_ADD, a, b, res, bits); break;
    case OR: res = a | b; setLazy(LAZY_LOGIC, 0, 0, res, bits); break;
    case ADC: {
      const c = getCF();
      res = a + b + c;
      setLazy(c ? LAZY_ADC : LAZY_ADD, a, b, res, bits);
      break;
    }
    case SBB: {
      const c = getCF();
      res = a - b - c;
      setLazy(c ? LAZY_SBB : LAZY_SUB, a, b, res, bits);
      break;
    }
    case AND: case TEST: res = a & b; setLazy(LAZY_LOGIC, 0, 0, res, bits); break;
    case XOR: res = a ^ b; setLazy(LAZY_LOGIC, 0, 0, res, bits); break;
    default: res = a - b; setLazy(LAZY_SUB, a, b, res, bits); break; // SUB, CMP
  }
  return res;
}

@inline function writesBack(op: u32): bool { return op != CMP && op != TEST; }

@inline export function aluRR(r: usize, op: u32, size: u32): void {
  const d = r0(r);
  const res = alu(op, regN(d, size), regN(r1(r), size), size);
  if (writesBack(op)) setRegN(d, res, size);
}
@inline export function aluRI(r: usize, op: u32, size: u32): void {
  const d = r0(r);
  const res = alu(op, regN(d, size), imm(r), size);
  if (writesBack(op)) setRegN(d, res, size);
}
/** Destination in memory, source register. */
export function aluMR(r: usize, op: u32, size: u32): void {
  const s = seg(r), off = ea(r);
  const a = writesBack(op) ? readForWrite(s, off, size) : readN(s, off, size);
  if (pending) return;
  const res = alu(op, a, regN(r1(r), size), size);
  if (writesBack(op)) writeN(s, off, res, size);
}
/** Destination register, source in memory. */
export function aluRM(r: usize, op: u32, size: u32): void {
  const b = readN(seg(r), ea(r), size);
  if (pending) return;
  const d = r0(r);
  const res = alu(op, regN(d, size), b, size);
  if (writesBack(op)) setRegN(d, res, size);
}
export function aluMI(r: usize, op: u32, size: u32): void {
  const s = seg(r), off = ea(r);
  const a = writesBack(op) ? readForWrite(s, off, size) : readN(s, off, size);
  if (pending) return;
  const res = alu(op, a, imm(r), size);
  if (writesBack(op)) writeN(s, off, res, size);
}

const INC: u32 = 0, DEC: u32 = 1, NEG: u32 = 2;

@inline function unary(op: u32, a: u32, size: u32): u32 {
  const bits = (size << 3) - 1;
  switch (op) {
    case INC: { const res = a + 1; setLazyKeepCF(LAZY_ADD, a, 1, res, bits); return res; }
    case DEC: { const res = a - 1; setLazyKeepCF(LAZY_SUB, a, 1, res, bits); return res; }
    case NEG: { const res = 0 - a; setLazy(LAZY_SUB, 0, a, res, bits); return res; }
    default: return ~a; // NOT: no flags
  }
}

@inline export function unaryR(r: usize, op: u32, size: u32): void {
  const d = r0(r);
  setRegN(d, unary(op, regN(d, size), size), size);
}
export function unaryM(r: usize, op: u32, size: u32): void {
  const s = seg(r), off = ea(r);
  const a = readForWrite(s, off, size);
  if (pending) return;
  writeN(s, off, unary(op, a, size), size);
}
