// RDMSR / WRMSR by a 32-bit PV domU (Xen 4.17 arch/x86/pv/emul-priv-op.c read_msr / write_msr,
// arch/x86/msr.c guest_rdmsr / guest_wrmsr). Since Xen 4.15 an MSR Xen does not handle is #GP(0)
// for both reads and writes (msr_relaxed off). The guest's CPUID says "GenuineIntel" (cpuid.ts),
// so Xen's Intel branches apply. Handled:
//   0x00000010 IA32_TSC          read: the guest TSC (= system time, time.ts); write #GP
//   0x0000008b IA32_UCODE_REV    read 0 (Xen virtualises no microcode revision); write dropped
//                                (a domU is not the hardware domain)
//   0x000000e7/e8 MPERF/APERF, 0x199 PERF_CTL, 0x19a THERM_CONTROL, 0x1b0 ENERGY_PERF_BIAS:
//                                writes dropped for a domU; reads #GP
//   0x000001a0 IA32_MISC_ENABLE  read guest_misc_enable(host value) with the host value fixed at 0
//                                here: BTS_UNAVAIL | PEBS_UNAVAIL | XTPR_DISABLE; any write is
//                                accepted and dropped (an unequal one is only logged by Xen)
//   0xc0000080 EFER              read: the host EFER minus LME/LMA/LMSLE/SCE for a 32-bit guest;
//                                the guest's CPUID reports no NX, so 0; write #GP
//   0x40000000 Xen hypercall-page MSR (CPUID 0x40000002 EBX): read 0; a write of gmfn << 12 fills
//                                that frame with the hypercall page; a nonzero page index or a frame
//                                not the domain's is #GP
// MSRs Xen reads from the host for Intel guests (PLATFORM_ID, PLATFORM_INFO, MCG_*, ...) are not
// modelled: #GP here.
import type { Domain } from "./domain.ts";
import { buildHypercallPage } from "./hypercall-page.ts";

export const MSR = {
  IA32_TSC: 0x10, IA32_UCODE_REV: 0x8b, IA32_MPERF: 0xe7, IA32_APERF: 0xe8, IA32_PERF_CTL: 0x199,
  IA32_THERM_CONTROL: 0x19a, IA32_MISC_ENABLE: 0x1a0, IA32_ENERGY_PERF_BIAS: 0x1b0, EFER: 0xc0000080,
  XEN_HYPERCALL_PAGE: 0x40000000,
} as const;
const MISC_ENABLE_BTS_UNAVAIL = 1n << 11n, MISC_ENABLE_PEBS_UNAVAIL = 1n << 12n, MISC_ENABLE_XTPR_DISABLE = 1n << 23n;
/** Writes a domU makes to these are accepted and dropped (not the hardware domain / cpufreq controller). */
const DROPPED_WRITES: ReadonlySet<number> = new Set([MSR.IA32_UCODE_REV, MSR.IA32_MPERF, MSR.IA32_APERF, MSR.IA32_PERF_CTL,
  MSR.IA32_THERM_CONTROL, MSR.IA32_ENERGY_PERF_BIAS, MSR.IA32_MISC_ENABLE]);

/** The value of MSR `reg`, or null for #GP(0). */
export function readMsr(d: Domain, reg: number): bigint | null {
  switch (reg >>> 0) {
    case MSR.IA32_TSC: return d.clock.tsc();
    case MSR.IA32_UCODE_REV: return 0n;
    case MSR.IA32_MISC_ENABLE: return MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL | MISC_ENABLE_XTPR_DISABLE;
    case MSR.EFER: return 0n;
    case MSR.XEN_HYPERCALL_PAGE: return 0n;
    default: return null;
  }
}

/** Write MSR `reg`; false for #GP(0). */
export function writeMsr(d: Domain, reg: number, val: bigint): boolean {
  reg >>>= 0;
  if (DROPPED_WRITES.has(reg)) return true;
  if (reg === MSR.XEN_HYPERCALL_PAGE) {
    // guest_wrmsr_xen: val = gmfn << 12 | page index; only page 0 exists. For a PV guest gmfn = mfn.
    if ((val & 0xfffn) !== 0n) return false;
    const mfn = Number(val >> 12n);
    if (val >> 44n !== 0n || !d.ownsMfn(mfn)) return false;
    d.machine.writePhys(mfn * 4096, buildHypercallPage());
    return true;
  }
  return false;
}
