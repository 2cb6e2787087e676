// String instructions: MOVS, CMPS, STOS, LODS, SCAS, INS, OUTS with REP / REPE / REPNE
// (SDM Vol. 1, 7.3.9; Vol. 2, each instruction and "REP/REPE/REPZ/REPNE/REPNZ").
//
// - Addresses: the source is seg:(E)SI, the segment from the record (DS unless overridden); the
//   destination is always ES:(E)DI (no override). The address size picks SI/DI/CX (16, wrapping
//   at 64 KiB, upper halves kept) or ESI/EDI/ECX. Each iteration steps the index registers by
//   the operand size, down when DF = 1.
// - REP: the count is tested before each iteration (count 0: nothing happens, flags unchanged);
//   REPE/REPNE on CMPS/SCAS also stop when ZF shows a mismatch / match after an iteration.
//   Iterations run in chunks of at most CHUNK; an unfinished instruction calls resumeLater(), so
//   EIP stays on it, it does not retire yet, and the run loop can take interrupts in between.
// - Faults are precise: a fault in iteration n leaves the registers as after iteration n-1 (the
//   iterations done stay done) with EIP on the instruction, so IRET resumes it.
// - INS/OUTS: I/O permission (priv/io.ts) is checked on every iteration, then one port access
//   per exit to the host. INS checks that the destination is writable before the port is read
//   (as Bochs does) so a fault never loses a value read from a port; the host hands the value to
//   finishStringIn(), which stores it at the checked address.
import {
  R_EAX, R_ECX, R_EDX, R_ESI, R_EDI, SR_ES, S_FLAGS, S_IO_PORT, S_IO_SIZE, S_IO_DIR, S_IO_VALUE,
  S_IO_STRING, S_IO_LIN, S_BLOCK_STALE, EXIT_IO,
} from "../layout";
import { reg32, reg16, setReg32, setReg16, regN, setRegN } from "../state";
import { pending } from "../priv/exception";
import { ioAllowed } from "../priv/io";
import { readN, writeN, segWrite, probeWrite, writeLinN } from "../mmu/access";
import { DF, setLazy, LAZY_SUB } from "./flags";
import { recFlags, seg, RF_A16, RF_REP, RF_REPNE } from "./operand";
import { requestExit, resumeLater } from "./run";

/** Iterations per dispatch of a REP instruction before it yields to the run loop. */
export const CHUNK: u32 = 4096;

// Per-instruction register view: index registers and count as locals, committed on exit.
let si: u32 = 0;
let di: u32 = 0;
let cnt: u32 = 0;
let a16: bool = false;

@inline function load3(r: usize): void {
  a16 = (recFlags(r) & RF_A16) != 0;
  if (a16) { si = reg16(R_ESI); di = reg16(R_EDI); cnt = reg16(R_ECX); }
  else { si = reg32(R_ESI); di = reg32(R_EDI); cnt = reg32(R_ECX); }
}
@inline function commitSi(): void { if (a16) setReg16(R_ESI, si); else setReg32(R_ESI, si); }
@inline function commitDi(): void { if (a16) setReg16(R_EDI, di); else setReg32(R_EDI, di); }
@inline function commitCnt(): void { if (a16) setReg16(R_ECX, cnt); else setReg32(R_ECX, cnt); }
/** the index step: +size, or -size with DF = 1 */
@inline function stepOf(size: u32): u32 { return load<u32>(S_FLAGS) & DF ? -size : size; }
@inline function adv(v: u32, step: u32): u32 { return a16 ? (v + step) & 0xFFFF : v + step; }
@inline function isRep(r: usize): bool { return (recFlags(r) & (RF_REP | RF_REPNE)) != 0; }

/** MOVS: ES:[(E)DI] ← seg:[(E)SI]. */
export function movs(r: usize, size: u32): void {
  load3(r);
  const src = seg(r);
  const step = stepOf(size);
  if (!isRep(r)) {
    const v = readN(src, si, size); if (pending) return;
    writeN(SR_ES, di, v, size); if (pending) return;
    si = adv(si, step); di = adv(di, step);
    commitSi(); commitDi();
    return;
  }
  let n: u32 = 0;
  while (cnt != 0 && n < CHUNK) {
    const v = readN(src, si, size); if (pending) break;
    writeN(SR_ES, di, v, size); if (pending) break;
    si = adv(si, step); di = adv(di, step); cnt--; n++;
  }
  commitSi(); commitDi(); commitCnt();
  if (!pending && cnt != 0) resumeLater();
}

/** STOS: ES:[(E)DI] ← AL/AX/EAX. */
export function stos(r: usize, size: u32): void {
  load3(r);
  const v = regN(R_EAX, size);
  const step = stepOf(size);
  if (!isRep(r)) {
    writeN(SR_ES, di, v, size); if (pending) return;
    di = adv(di, step);
    commitDi();
    return;
  }
  let n: u32 = 0;
  while (cnt != 0 && n < CHUNK) {
    writeN(SR_ES, di, v, size); if (pending) break;
    di = adv(di, step); cnt--; n++;
  }
  commitDi(); commitCnt();
  if (!pending && cnt != 0) resumeLater();
}

/** LODS: AL/AX/EAX ← seg:[(E)SI] (with REP: the last element read stays). */
export function lods(r: usize, size: u32): void {
  load3(r);
  const src = seg(r);
  const step = stepOf(size);
  if (!isRep(r)) {
    const v = readN(src, si, size); if (pending) return;
    si = adv(si, step);
    setRegN(R_EAX, v, size); commitSi();
    return;
  }
  let n: u32 = 0;
  while (cnt != 0 && n < CHUNK) {
    const v = readN(src, si, size); if (pending) break;
    setRegN(R_EAX, v, size);
    si = adv(si, step); cnt--; n++;
  }
  commitSi(); commitCnt();
  if (!pending && cnt != 0) resumeLater();
}

/**
 * CMPS: flags of seg:[(E)SI] − ES:[(E)DI]. REPE repeats while equal (ZF = 1), REPNE while not
 * equal; either stops when the count reaches 0.
 */
export function cmps(r: usize, size: u32): void {
  load3(r);
  const src = seg(r);
  const step = stepOf(size);
  const bits = (size << 3) - 1;
  if (!isRep(r)) {
    const a = readN(src, si, size); if (pending) return;
    const b = readN(SR_ES, di, size); if (pending) return;
    si = adv(si, step); di = adv(di, step);
    commitSi(); commitDi();
    setLazy(LAZY_SUB, a, b, a - b, bits);
    return;
  }
  const whileEqual = (recFlags(r) & RF_REPNE) == 0;
  let n: u32 = 0;
  let done = false;
  while (cnt != 0 && n < CHUNK) {
    const a = readN(src, si, size); if (pending) break;
    const b = readN(SR_ES, di, size); if (pending) break;
    si = adv(si, step); di = adv(di, step); cnt--; n++;
    setLazy(LAZY_SUB, a, b, a - b, bits);
    if ((((a ^ b) << (31 - bits)) == 0) != whileEqual) { done = true; break; }
  }
  commitSi(); commitDi(); commitCnt();
  if (!pending && !done && cnt != 0) resumeLater();
}

/** SCAS: flags of AL/AX/EAX − ES:[(E)DI]; REPE / REPNE as CMPS. */
export function scas(r: usize, size: u32): void {
  load3(r);
  const a = regN(R_EAX, size);
  const step = stepOf(size);
  const bits = (size << 3) - 1;
  if (!isRep(r)) {
    const b = readN(SR_ES, di, size); if (pending) return;
    di = adv(di, step);
    commitDi();
    setLazy(LAZY_SUB, a, b, a - b, bits);
    return;
  }
  const whileEqual = (recFlags(r) & RF_REPNE) == 0;
  let n: u32 = 0;
  let done = false;
  while (cnt != 0 && n < CHUNK) {
    const b = readN(SR_ES, di, size); if (pending) break;
    di = adv(di, step); cnt--; n++;
    setLazy(LAZY_SUB, a, b, a - b, bits);
    if ((((a ^ b) << (31 - bits)) == 0) != whileEqual) { done = true; break; }
  }
  commitDi(); commitCnt();
  if (!pending && !done && cnt != 0) resumeLater();
}

/** Start the next iteration of a REP INS/OUTS; false when the count is already 0. */
@inline function ioIteration(r: usize): bool { return !isRep(r) || cnt != 0; }

/** After one INS/OUTS iteration: count down, and stay on the instruction while more remain. */
@inline function ioCommitCount(r: usize): void {
  if (!isRep(r)) return;
  cnt--;
  commitCnt();
  if (cnt != 0) resumeLater();
}

/** OUTS: port DX ← seg:[(E)SI], one element per exit to the host. */
export function outs(r: usize, size: u32): void {
  load3(r);
  const port = reg16(R_EDX);
  // The I/O permission check comes before the count: REP OUTS with (E)CX = 0 at CPL > IOPL
  // and the port denied still raises #GP(0) (the host CPU does; QEMU checks first as well).
  if (!ioAllowed(port, size)) return;
  if (!ioIteration(r)) return;
  const v = readN(seg(r), si, size); if (pending) return;
  si = adv(si, stepOf(size));
  commitSi();
  store<u32>(S_IO_PORT, port);
  store<u32>(S_IO_SIZE, size);
  store<u32>(S_IO_DIR, 1);
  store<u32>(S_IO_VALUE, v);
  store<u32>(S_IO_STRING, 0);
  requestExit(EXIT_IO, port);
  ioCommitCount(r);
}

/** INS: ES:[(E)DI] ← port DX; the host reads the port, finishStringIn() stores the value. */
export function ins(r: usize, size: u32): void {
  load3(r);
  const port = reg16(R_EDX);
  // The I/O permission check comes before the count: REP INS with (E)CX = 0 at CPL > IOPL
  // and the port denied still raises #GP(0) (the host CPU does; QEMU checks first as well).
  if (!ioAllowed(port, size)) return;
  if (!ioIteration(r)) return;
  const lin = segWrite(SR_ES, di, size); if (pending) return;
  if (!probeWrite(lin, size)) return;
  di = adv(di, stepOf(size));
  commitDi();
  store<u32>(S_IO_PORT, port);
  store<u32>(S_IO_SIZE, size);
  store<u32>(S_IO_DIR, 0);
  store<u32>(S_IO_VALUE, 0);
  store<u32>(S_IO_STRING, 1);
  store<u32>(S_IO_LIN, lin);
  requestExit(EXIT_IO, port);
  ioCommitCount(r);
}

/**
 * Host → core: the value the port gave for a pending INS (IO_STRING = 1). The address was
 * checked by ins(), so this store cannot fault.
 */
export function finishStringIn(v: u32): void {
  writeLinN(load<u32>(S_IO_LIN), v, load<u32>(S_IO_SIZE));
  store<u32>(S_IO_STRING, 0);
  // the run loop starts afresh after an exit: a store into code was seen by its page generation
  store<u32>(S_BLOCK_STALE, 0);
}
