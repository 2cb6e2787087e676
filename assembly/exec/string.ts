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
  S_IO_STRING, S_IO_LIN, S_BLOCK_STALE, S_TLB_HITS, S_CR0, S_CPL, EXIT_IO, RAM_BASE,
} from "../layout";
import {
  reg32, reg16, setReg32, setReg16, regN, setRegN, segAttr, segBase, segLimit, ATTR_FAST_READ, ATTR_FAST_WRITE,
} from "../state";
import { tlbEntry, readNeed, writeNeed } from "../mmu/tlb";
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

// ---- bulk fast path (REP, DF = 0, 32-bit addresses) ----
// Elements that lie within one page of the source and one of the destination, with both
// segments on their fast path (limit check only) and both pages already in the TLB with the
// rights needed, are moved with plain loads and stores or memory.copy/fill. Everything else
// (page ends, TLB misses, faults, stores into pages holding decoded code — their TLB entries
// lack TLB_NOCODE —, expand-down segments) goes element by element through mmu/access.ts, so
// faults and self-modifying code behave exactly as there. Returns the elements done (0 = none).

/**
 * The bulk path is off while alignment checking could fire (CPL 3, CR0.AM, EFLAGS.AC: SDM Vol. 3,
 * 6.15): misaligned elements must then reach mmu/access.ts, which raises #AC.
 */
@inline function bulkAllowed(size: u32): bool {
  return size == 1 || load<u32>(S_CPL) != 3 || !(load<u32>(S_CR0) & (1 << 18)) || !(load<u32>(S_FLAGS) & (1 << 18));
}

/** Elements of `size` from seg:off on before the page or segment ends, at most `max`; 0 if unsafe. */
@inline function bulkRoom(sg: u32, off: u32, size: u32, max: u32, write: bool): u32 {
  if (!(segAttr(sg) & (write ? ATTR_FAST_WRITE : ATTR_FAST_READ))) return 0;
  const limit = segLimit(sg);
  if (off > limit) return 0;
  const lin = segBase(sg) + off;
  let n: u32 = (0x1000 - (lin & 0xFFF)) / size;
  // elements whose last byte is within the limit (room + 1 <= 4096 here: no overflow)
  const room = limit - off;
  if (room < n * size - 1) n = (room + 1) / size;
  return n < max ? n : max;
}

/** no bulk access possible (machine addresses stay below 1 GiB) */
const NO_BULK: u32 = 0xFFFFFFFF;

/** Wasm address of seg:off if its page is in the TLB with the rights needed, else NO_BULK. */
@inline function bulkAt(sg: u32, off: u32, write: bool): u32 {
  const lin = segBase(sg) + off;
  const e = tlbEntry(lin >>> 12);
  const need = write ? writeNeed : readNeed;
  if ((e & need) != need) return NO_BULK;
  return RAM_BASE + ((e & 0xFFFFF000) | (lin & 0xFFF));
}

function bulkMovs(src: u32, size: u32, max: u32): u32 {
  let n = bulkRoom(src, si, size, max, false);
  const nd = bulkRoom(SR_ES, di, size, max, true);
  if (nd < n) n = nd;
  if (n < 2) return 0;
  const from = bulkAt(src, si, false); if (from == NO_BULK) return 0;
  const to = bulkAt(SR_ES, di, true); if (to == NO_BULK) return 0;
  const bytes = n * size;
  if (to > from && to < from + bytes) {
    // overlapping forwards: element by element, as the CPU does (a pattern repeats)
    for (let i: u32 = 0; i < bytes; i += size) {
      if (size == 1) store<u8>(to + i, load<u8>(from + i));
      else if (size == 2) store<u16>(to + i, load<u16>(from + i));
      else store<u32>(to + i, load<u32>(from + i));
    }
  } else {
    memory.copy(to, from, bytes);
  }
  store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + 2 * <u64>n);
  return n;
}

function bulkStos(v: u32, size: u32, max: u32): u32 {
  const n = bulkRoom(SR_ES, di, size, max, true);
  if (n < 2) return 0;
  const to = bulkAt(SR_ES, di, true); if (to == NO_BULK) return 0;
  if (size == 1) memory.fill(to, <u8>v, n);
  else if (size == 2) { for (let i: u32 = 0; i < n; i++) store<u16>(to + (i << 1), v); }
  else { for (let i: u32 = 0; i < n; i++) store<u32>(to + (i << 2), v); }
  store<u64>(S_TLB_HITS, load<u64>(S_TLB_HITS) + <u64>n);
  return n;
}

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
  const bulk = !a16 && step == size && bulkAllowed(size);
  let n: u32 = 0;
  while (cnt != 0 && n < CHUNK) {
    if (bulk) {
      const max = CHUNK - n < cnt ? CHUNK - n : cnt;
      const k = bulkMovs(src, size, max);
      if (k != 0) { si += k * size; di += k * size; cnt -= k; n += k; continue; }
    }
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
  const bulk = !a16 && step == size && bulkAllowed(size);
  let n: u32 = 0;
  while (cnt != 0 && n < CHUNK) {
    if (bulk) {
      const max = CHUNK - n < cnt ? CHUNK - n : cnt;
      const k = bulkStos(v, size, max);
      if (k != 0) { di += k * size; cnt -= k; n += k; continue; }
    }
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
