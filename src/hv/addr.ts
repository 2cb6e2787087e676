// The address spaces of a PV machine as distinct types, so that a machine frame cannot be passed
// where a pseudo-physical one is meant (Xen: xen/include/xen/mm.h's glossary, typesafe.h).
//
//   lin / lpn     linear address / page number: what the guest's page tables translate
//   gpa / gpfn    guest pseudo-physical address / frame: the guest's own view of its memory,
//                 0 .. nr_pages-1, contiguous; translated to machine frames by the P2M list
//   ma  / mfn     machine address / frame: the emulator's RAM (Wasm RAM_BASE + ma)
//
// Values are plain numbers at run time (no cost); the brands exist only for the type checker.
// Convert only with the functions below.

export type Lin = number & { readonly __space: "lin" };
export type Gpfn = number & { readonly __space: "gpfn" };
export type Gpa = number & { readonly __space: "gpa" };
export type Mfn = number & { readonly __space: "mfn" };
export type Ma = number & { readonly __space: "ma" };

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

export const lin = (v: number): Lin => (v >>> 0) as Lin;
export const gpfn = (v: number): Gpfn => (v >>> 0) as Gpfn;
export const mfn = (v: number): Mfn => (v >>> 0) as Mfn;
export const ma = (v: number): Ma => (v >>> 0) as Ma;

/** INVALID_MFN / INVALID_P2M_ENTRY: the all-ones frame number (Xen's ~0UL on x86_32). */
export const INVALID_MFN = 0xffffffff as Mfn;
export const INVALID_GPFN = 0xffffffff as Gpfn;

export const mfnToMa = (f: Mfn): Ma => (f * PAGE_SIZE) as Ma;
export const maToMfn = (a: Ma): Mfn => Math.floor(a / PAGE_SIZE) as Mfn;
export const gpfnToGpa = (f: Gpfn): Gpa => (f * PAGE_SIZE) as Gpa;
export const gpaToGpfn = (a: Gpa): Gpfn => Math.floor(a / PAGE_SIZE) as Gpfn;

export const hex = (v: number): string => "0x" + (v >>> 0).toString(16);
