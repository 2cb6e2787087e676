// CPUID and RDTSC. The feature set is documented in docs/CPUID.md; test/exec/cpuid.test.ts checks
// that every feature bit set here names something the core implements and the reverse.
import { R_EAX, R_ECX, R_EDX, R_EBX, S_CR4 } from "../layout";
import { reg32, setReg32, cpl } from "../state";
import { gp } from "../priv/exception";
import { tsc } from "../priv/msr";

/** the highest basic and extended leaves */
export const MAX_BASIC: u32 = 1;
export const MAX_EXTENDED: u32 = 0x80000008;

// CPUID.1:EDX feature bits (SDM Vol. 2, CPUID, Table 3-11)
export const F_PSE: u32 = 1 << 3;   // 4 MiB pages with CR4.PSE (mmu/walk.ts)
export const F_TSC: u32 = 1 << 4;   // RDTSC, CR4.TSD
export const F_MSR: u32 = 1 << 5;   // RDMSR/WRMSR (priv/msr.ts)
export const F_PAE: u32 = 1 << 6;   // PAE paging (mmu/walk.ts)
export const F_CX8: u32 = 1 << 8;   // CMPXCHG8B (exec/misc2.ts)
export const F_SEP: u32 = 1 << 11;  // SYSENTER/SYSEXIT (priv/msr.ts, exec/system.ts)
export const F_PGE: u32 = 1 << 13;  // global pages with CR4.PGE (mmu/tlb.ts)
export const F_CMOV: u32 = 1 << 15; // CMOVcc (exec/cond.ts)
/** leaf 1 EDX: only what the core implements (no FPU, VME, DE, MCE, APIC yet) */
export const LEAF1_EDX: u32 = F_PSE | F_TSC | F_MSR | F_PAE | F_CX8 | F_SEP | F_PGE | F_CMOV;
/** leaf 0x80000001 EDX bit 20: execute-disable with PAE and EFER.NXE */
export const F_NX: u32 = 1 << 20;
/**
 * leaf 1 EAX: family 6, model 3, stepping 0 — a generic P6-class part under a vendor of its own,
 * so no real model's errata apply; model >= 3 so the SDM's rule "family 6, model < 3, stepping < 3:
 * SEP is not really there" does not hide SYSENTER.
 */
export const SIGNATURE: u32 = 0x00000630;

// "XenolithVCPU" in EBX, EDX, ECX order, little-endian
const VENDOR_EBX: u32 = 0x6F6E6558; // "Xeno"
const VENDOR_EDX: u32 = 0x6874696C; // "lith"
const VENDOR_ECX: u32 = 0x55504356; // "VCPU"

/** the brand string of leaves 0x80000002-0x80000004: 48 bytes, NUL-padded */
const BRAND = "Xenolith virtual i686 CPU";

function brandWord(i: u32): u32 {
  let w: u32 = 0;
  for (let b: u32 = 0; b < 4; b++) {
    const k = <i32>(i * 4 + b);
    const c: u32 = k < BRAND.length ? <u32>BRAND.charCodeAt(k) : 0;
    w |= c << (b << 3);
  }
  return w;
}

function set4(a: u32, b: u32, c: u32, d: u32): void {
  setReg32(R_EAX, a); setReg32(R_EBX, b); setReg32(R_ECX, c); setReg32(R_EDX, d);
}

/**
 * CPUID (SDM Vol. 2, CPUID): a leaf above the highest basic or extended leaf returns the data of
 * the highest basic leaf (Intel's rule; "INPUT EAX = 0: Returns CPUID's Highest Value ...").
 */
export function cpuid(r: usize): void {
  let leaf = reg32(R_EAX);
  if (leaf > MAX_BASIC && (leaf < 0x80000000 || leaf > MAX_EXTENDED)) leaf = MAX_BASIC;
  switch (leaf) {
    case 0: set4(MAX_BASIC, VENDOR_EBX, VENDOR_ECX, VENDOR_EDX); break;
    // EBX: brand index 0, no CLFLUSH size, one logical processor, APIC ID 0; ECX: no features
    case 1: set4(SIGNATURE, 0, 0, LEAF1_EDX); break;
    case 0x80000000: set4(MAX_EXTENDED, 0, 0, 0); break;
    case 0x80000001: set4(0, 0, 0, F_NX); break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const i = (leaf - 0x80000002) * 4;
      set4(brandWord(i), brandWord(i + 1), brandWord(i + 2), brandWord(i + 3));
      break;
    }
    // physical and linear address sizes: 32 bits each (MAXPHYADDR = 32, mmu/walk.ts)
    case 0x80000008: set4(0x2020, 0, 0, 0); break;
    // 0x80000005-0x80000007: reserved / no cache or power-management information
    default: set4(0, 0, 0, 0); break;
  }
}

/** CR4.TSD: RDTSC is privileged (CPL 0 only) */
const CR4_TSD: u32 = 1 << 2;

/**
 * RDTSC: EDX:EAX = the time-stamp counter = instructions retired before this one plus TSC_OFFSET
 * (which a WRMSR to the TSC sets). #GP(0) at CPL > 0 when CR4.TSD = 1 (SDM Vol. 2, RDTSC).
 */
export function rdtsc(r: usize): void {
  if ((load<u32>(S_CR4) & CR4_TSD) && cpl() != 0) { gp(0); return; }
  const t = tsc();
  setReg32(R_EAX, <u32>t);
  setReg32(R_EDX, <u32>(t >> 32));
}
