// Segment descriptors (SDM Vol. 3, 3.4.5): reading them from the GDT or LDT with the table-limit
// check, decoding their fields, and setting the accessed bit. Descriptor-table accesses are
// implicit supervisor accesses (SDM Vol. 3, 4.6: they use supervisor rights whatever the CPL).
import {
  S_GDTR_BASE, S_GDTR_LIMIT, S_LDTR_BASE, S_LDTR_LIMIT, S_LDTR_SEL,
} from "../layout";
import { pending } from "./exception";
import { readSys64, sysHi, writeLinSlow } from "../mmu/access";
import { ACC_WRITE } from "../mmu/walk";
import { withDerivedAttr } from "../state";

/** The descriptor read by the last successful readDescriptor(): low and high dwords. */
export let descLo: u32 = 0;
export let descHi: u32 = 0;
/** Linear address of that descriptor (for the accessed / busy bit updates). */
export let descLin: u32 = 0;

// System descriptor types (S = 0; SDM Vol. 3, Table 3-2).
export const SYS_TSS16_AVAIL: u32 = 1;
export const SYS_LDT: u32 = 2;
export const SYS_TSS16_BUSY: u32 = 3;
export const SYS_CALL_GATE16: u32 = 4;
export const SYS_TASK_GATE: u32 = 5;
export const SYS_INT_GATE16: u32 = 6;
export const SYS_TRAP_GATE16: u32 = 7;
export const SYS_TSS32_AVAIL: u32 = 9;
export const SYS_TSS32_BUSY: u32 = 11;
export const SYS_CALL_GATE32: u32 = 12;
export const SYS_INT_GATE32: u32 = 14;
export const SYS_TRAP_GATE32: u32 = 15;

/** Make (lo, hi) the current descriptor (for loads from a copy taken before other reads). */
export function setDesc(lo: u32, hi: u32): void { descLo = lo; descHi = hi; }

@inline export function selIndexTi(sel: u32): u32 { return sel & 0xFFFC; }
@inline export function selRpl(sel: u32): u32 { return sel & 3; }
/** A null selector: index 0 in the GDT (any RPL). */
@inline export function selIsNull(sel: u32): bool { return (sel & 0xFFFC) == 0; }

/**
 * Read the descriptor `sel` names into descLo/descHi. Returns false when the selector lies
 * outside its table (SDM Vol. 3, 3.5.1: the whole 8-byte descriptor must be within the limit;
 * an LDT reference with a null LDTR is outside too) — the caller raises the fault its
 * instruction defines — or when reading it faulted (`pending` is then set).
 */
export function readDescriptor(sel: u32): bool {
  let base: u32, limit: u32;
  if (sel & 4) {
    if (selIsNull(load<u32>(S_LDTR_SEL))) return false;
    base = load<u32>(S_LDTR_BASE); limit = load<u32>(S_LDTR_LIMIT);
  } else {
    base = load<u32>(S_GDTR_BASE); limit = load<u32>(S_GDTR_LIMIT);
  }
  const off = sel & 0xFFF8;
  if (off + 7 > limit) return false;
  const lin = base + off;
  const lo = readSys64(lin);
  if (pending) return false;
  descLo = lo; descHi = sysHi; descLin = lin;
  return true;
}

@inline export function descBase(lo: u32, hi: u32): u32 {
  return (lo >>> 16) | ((hi & 0xFF) << 16) | (hi & 0xFF000000);
}
/** The limit in bytes: with G = 1 the 20-bit limit counts 4 KiB units (SDM Vol. 3, 3.4.5). */
@inline export function descLimit(lo: u32, hi: u32): u32 {
  const raw = (lo & 0xFFFF) | (hi & 0x000F0000);
  return hi & (1 << 23) ? (raw << 12) | 0xFFF : raw;
}
/** Descriptor bits 40-55 >> 8, as SEG_ATTR stores them (without derived bits). */
@inline export function descAttr(hi: u32): u32 { return (hi >>> 8) & 0xF0FF; }
@inline export function descType(hi: u32): u32 { return (hi >>> 8) & 0xF; }
/** S flag: 1 for code/data segments, 0 for system descriptors and gates. */
@inline export function descIsSeg(hi: u32): bool { return (hi & (1 << 12)) != 0; }
@inline export function descDpl(hi: u32): u32 { return (hi >>> 13) & 3; }
@inline export function descPresent(hi: u32): bool { return (hi & (1 << 15)) != 0; }
@inline export function descIsCode(hi: u32): bool { return descIsSeg(hi) && (hi & (1 << 11)) != 0; }
@inline export function descIsData(hi: u32): bool { return descIsSeg(hi) && (hi & (1 << 11)) == 0; }
/** Code: conforming (C bit). */
@inline export function descConforming(hi: u32): bool { return (hi & (1 << 10)) != 0; }
/** Code: readable; data: writable (bit 41). */
@inline export function descRW(hi: u32): bool { return (hi & (1 << 9)) != 0; }
/** D/B flag: 32-bit code segment / 32-bit stack. */
@inline export function descDB(hi: u32): bool { return (hi & (1 << 22)) != 0; }

/** Gate fields (call, interrupt, trap, task gates; SDM Vol. 3, Figures 5-8, 6-2). */
@inline export function gateSelector(lo: u32): u32 { return lo >>> 16; }
@inline export function gateOffset(lo: u32, hi: u32): u32 { return (lo & 0xFFFF) | (hi & 0xFFFF0000); }
@inline export function gateParams(hi: u32): u32 { return hi & 0x1F; }

/** SEG_ATTR value (with derived bits) for the descriptor in descHi. */
@inline export function cacheAttr(hi: u32): u32 { return withDerivedAttr(descAttr(hi), false); }

/**
 * Set the accessed bit of the descriptor last read (SDM Vol. 3, 3.4.5.1: the processor sets it
 * when it loads a segment register with the descriptor). A locked supervisor write of byte 5.
 * Returns false with a fault pending.
 */
export function setAccessed(): bool {
  if (descHi & (1 << 8)) return true;
  descHi |= 1 << 8;
  writeLinSlow(descLin + 5, (descHi >>> 8) & 0xFF, 1, ACC_WRITE);
  return !pending;
}

/** Set the accessed bit of the descriptor at `lin` whose high dword is `hi`. False on a fault. */
export function setAccessedAt(lin: u32, hi: u32): bool {
  if (hi & (1 << 8)) return true;
  writeLinSlow(lin + 5, ((hi >>> 8) & 0xFF) | 1, 1, ACC_WRITE);
  return !pending;
}

/** Set the busy bit (type bit 1) of a TSS descriptor at `lin` whose high dword is `hi`. */
export function writeDescHi(lin: u32, hi: u32): bool {
  writeLinSlow(lin + 4, hi, 4, ACC_WRITE);
  return !pending;
}
