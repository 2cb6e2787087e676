// Control registers (SDM Vol. 3, 2.5; Vol. 2, MOV—Move to/from Control Registers) and the TLB
// invalidation each write implies (SDM Vol. 3, 4.10.4.1).
import { S_CR0, S_CR2, S_CR3, S_CR4, S_EFER } from "../layout";
import { gp } from "./exception";
import { tlbFlush } from "../mmu/tlb";
import { physRead64 } from "../mmu/phys";
import { CR0_PE, CR0_PG, CR0_WP, CR0_ET, CR4_PAE, CR4_PSE, CR4_PGE, EFER_NXE } from "../mmu/walk";
import { unsupported, UNSUP_REAL_MODE } from "./unsupported";

const CR0_NW: u32 = 1 << 29;
const CR0_CD: u32 = 1 << 30;
/** CR0 bits that exist: PE MP EM TS ET NE WP AM NW CD PG; the rest read as 0. */
const CR0_BITS: u32 = 0x3F | CR0_WP | (1 << 18) | CR0_NW | CR0_CD | CR0_PG;
/**
 * CR4 bits this processor has: those of the features CPUID reports (docs/CPUID.md) — TSD (TSC),
 * PSE, PAE, PGE. Every other bit is reserved and setting it is #GP(0) (SDM Vol. 3, 2.5 and MOV
 * to CR4): VME/PVI (no virtual-8086 mode), DE, MCE (not reported), PCE (no RDPMC), OSFXSR and
 * OSXMMEXCPT (no FXSR/SSE), and everything from bit 11 up.
 */
export const CR4_BITS: u32 = (1 << 2) | CR4_PSE | CR4_PAE | CR4_PGE;

@inline export function cr0(): u32 { return load<u32>(S_CR0); }

/**
 * PAE paging loads the four PDPTEs when CR0, CR3 or CR4 is written with PG = PAE = 1; a present
 * PDPTE with a reserved bit set makes the write #GP(0) (SDM Vol. 3, 4.4.1). Reserved: bits 1-2,
 * 5-8 and 32-63 (MAXPHYADDR = 32).
 */
function pdptesValid(cr3: u32): bool {
  const base = cr3 & 0xFFFFFFE0;
  for (let i: u32 = 0; i < 4; i++) {
    const e = physRead64(base + (i << 3));
    if ((u32(e) & 1) && ((u32(e) & 0x1E6) != 0 || (e >> 32) != 0)) return false;
  }
  return true;
}

/** MOV CR0, r32. Returns false with a fault pending (or an unsupported exit). */
export function writeCr0(v: u32): bool {
  v = (v & CR0_BITS) | CR0_ET; // ET is hard-wired to 1
  // #GP(0): PG without PE, or NW without CD.
  if ((v & CR0_PG) && !(v & CR0_PE)) { gp(0); return false; }
  if ((v & CR0_NW) && !(v & CR0_CD)) { gp(0); return false; }
  if (!(v & CR0_PE)) { unsupported(UNSUP_REAL_MODE); return false; }
  const old = cr0();
  if ((v & CR0_PG) && (load<u32>(S_CR4) & CR4_PAE) && !(old & CR0_PG) && !pdptesValid(load<u32>(S_CR3))) { gp(0); return false; }
  store<u32>(S_CR0, v);
  // Changing PG or WP invalidates every translation, global ones too (SDM Vol. 3, 4.10.4.1).
  if ((old ^ v) & (CR0_PG | CR0_WP | CR0_PE)) tlbFlush(false);
  return true;
}

/** MOV CR3, r32: non-global translations are invalidated (global ones survive with CR4.PGE). */
export function writeCr3(v: u32): bool {
  if ((cr0() & CR0_PG) && (load<u32>(S_CR4) & CR4_PAE) && !pdptesValid(v)) { gp(0); return false; }
  store<u32>(S_CR3, v);
  tlbFlush((load<u32>(S_CR4) & CR4_PGE) != 0);
  return true;
}

/** MOV CR4, r32: reserved bits are #GP(0); changing PSE, PAE or PGE flushes the whole TLB. */
export function writeCr4(v: u32): bool {
  if (v & ~CR4_BITS) { gp(0); return false; }
  const old = load<u32>(S_CR4);
  if ((cr0() & CR0_PG) && (v & CR4_PAE) && !(old & CR4_PAE) && !pdptesValid(load<u32>(S_CR3))) { gp(0); return false; }
  store<u32>(S_CR4, v);
  if ((old ^ v) & (CR4_PSE | CR4_PAE | CR4_PGE)) tlbFlush(false);
  return true;
}

export function writeCr2(v: u32): void { store<u32>(S_CR2, v); }

/** EFER.NXE changes what the TLB's NX bits mean: flush it. */
export function writeEfer(v: u32): void {
  const old = load<u32>(S_EFER);
  store<u32>(S_EFER, v);
  if ((old ^ v) & EFER_NXE) tlbFlush(false);
}
