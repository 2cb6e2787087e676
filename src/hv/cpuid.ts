// CPUID as a PV guest sees it through the forced-emulation prefix (Xen arch/x86/cpuid.c,
// guest_cpuid): a fixed, deterministic policy, plus Xen's hypervisor leaves at 0x40000000.
// The basic leaves claim nothing the core may lack: its instruction coverage is still growing.
//   leaf 0:          max basic leaf 1, "GenuineIntel"
//   leaf 1:          family 6 model 0 stepping 0; EDX: PAE (bit 6) for the PAE layout only
//   0x40000000:      max hypervisor leaf 0x40000002, "XenVMMXenVMM"
//   0x40000001:      Xen version, major << 16 | minor
//   0x40000002:      1 hypercall page, MSR 0x40000000 (writing it fills a hypercall page: msr.ts)
// Other leaves return zeros, as leaves above the maximum do on a real CPU (Intel returns the
// highest basic leaf's values; AMD zeros: we choose zeros).
import type { Domain } from "./domain.ts";
import { XEN_MAJOR, XEN_MINOR } from "./xen-version.ts";

function str4(s: string, at: number): number {
  return (s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24)) >>> 0;
}

export function cpuid(d: Domain, leaf: number, _subleaf: number): [number, number, number, number] {
  switch (leaf >>> 0) {
    case 0: { const v = "GenuineIntel"; return [1, str4(v, 0), str4(v, 8), str4(v, 4)]; }
    case 1: return [0x600, 0, 0, d.layout === "pae" ? 1 << 6 : 0];
    case 0x40000000: { const v = "XenVMMXenVMM"; return [0x40000002, str4(v, 0), str4(v, 4), str4(v, 8)]; }
    case 0x40000001: return [(XEN_MAJOR << 16) | XEN_MINOR, 0, 0, 0];
    case 0x40000002: return [1, 0x40000000, 0, 0];
    default: return [0, 0, 0, 0];
  }
}
