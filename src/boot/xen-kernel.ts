// A Xen PV kernel image: an ELF32 i386 executable that says, in "Xen" ELF notes or in the older
// `__xen_guest` section string, where it wants to live and how it talks to the hypervisor.
// This file turns the image into the facts the domain builder needs, with the checks and the
// address arithmetic of Xen's libelf (xen/common/libelf/libelf-dominfo.c):
//
//   virt_base     VIRT_BASE, default 0
//   paddr_offset  PADDR_OFFSET, default 0 with notes, virt_base with __xen_guest (legacy kernels
//                 put virtual addresses in p_paddr)
//   virt_offset = virt_base - paddr_offset
//   a segment loads at p_paddr + virt_offset; the image spans [virt_kstart, virt_kend)
//   entry         ENTRY, default e_entry
//   hypercall pg  HYPERCALL_PAGE (a virtual address; in __xen_guest a page number from virt_base)
//
// Xen loads only images for the "generic" loader or Linux, built for "xen-3.0"; it refuses an
// image whose entry or start lies outside it, and a kernel that requires a feature the
// hypervisor lacks.
import { parseElf32, type Elf32, ET_EXEC } from "./elf.ts";
export { isPvKernel } from "./pv-detect.ts";
import { BadImageError } from "./errors.ts";
import { addXenNote, parseXenGuestString, type XenNotes, XenNotesError } from "./xen-notes.ts";
import { type PvLayout, layoutFor } from "./xen-layout.ts";
import { hex } from "../hv/addr.ts";

export class PvKernelError extends BadImageError {
  constructor(message: string) {
    super(message);
    this.name = "PvKernelError";
  }
}

/** Feature names of elfnote FEATURES, numbered as features.h XENFEAT_*. */
export const XENFEAT: Record<string, number> = {
  writable_page_tables: 0, writable_descriptor_tables: 1, auto_translated_physmap: 2,
  supervisor_mode_kernel: 3, pae_pgdir_above_4gb: 4, mmu_pt_update_preserve_ad: 5,
  highmem_assist: 6, gnttab_map_avail_bits: 7, hvm_callback_vector: 8, hvm_safe_pvclock: 9,
  hvm_pirqs: 10, dom0: 11,
};

/**
 * The features xenolith's hypervisor provides. A kernel requiring ("!name") anything else is
 * refused at load, as Xen refuses it, rather than failing later in a confusing way.
 * pae_pgdir_above_4gb: the L3 may sit in any machine frame (all are below 4 GiB here).
 * Not yet: writable_page_tables and mmu_pt_update_preserve_ad (issue 5), the rest (never: they
 * are HVM, ARM or dom0 features, or modes xenolith does not run PV guests in).
 */
export const SUPPORTED_FEATURES: ReadonlySet<string> = new Set(["pae_pgdir_above_4gb"]);

export interface PvSegment {
  /** virtual address the segment loads at (p_paddr + virt_offset) */
  virt: number;
  /** bytes from the file, then memsz - filesz zero bytes */
  bytes: Uint8Array;
  memsz: number;
}

export interface PvKernel {
  /** where the facts came from */
  source: "notes" | "__xen_guest";
  notes: XenNotes;
  /** the PAE layout ("yes", "bimodal") or the classic 2-level one */
  layout: PvLayout;
  /** the PAE_MODE text, for start-up state (bimodal / extended-cr3 kernels get vm_assist pae_extended_cr3) */
  paeMode: string | undefined;
  virtBase: number;
  paddrOffset: number;
  virtKstart: number;
  virtKend: number;
  entry: number;
  /** virtual address of the hypercall page, if the kernel has one */
  hypercallPage: number | undefined;
  /** feature names the kernel supports and those it requires (without "!") */
  features: { supported: string[]; required: string[] };
  segments: PvSegment[];
}

/** Parse and check a PV kernel image. `what` names it in errors. */
export function parsePvKernel(image: Uint8Array | Elf32, what = "image"): PvKernel {
  const elf = image instanceof Uint8Array ? parseElf32(image, what) : image;
  const fail = (msg: string): never => { throw new PvKernelError(`${what}: ${msg}`); };

  // Notes first; the __xen_guest string only when there are none (libelf: elf_xen_parse).
  let notes: XenNotes = { features: [], seen: [] };
  let source: PvKernel["source"];
  try {
    for (const n of elf.notes) if (n.name === "Xen") addXenNote(n.type, n.desc, notes);
    if (notes.seen.length > 0) {
      source = "notes";
    } else {
      const sec = elf.section("__xen_guest");
      if (!sec) return fail("not a Xen PV kernel: no Xen ELF notes and no __xen_guest section");
      notes = parseXenGuestString(new TextDecoder("latin1").decode(elf.sectionBytes(sec)));
      source = "__xen_guest";
    }
  } catch (e) {
    if (e instanceof XenNotesError) return fail(e.message);
    throw e;
  }

  if (elf.type !== ET_EXEC) fail(`ELF type ${elf.type} is not an executable (ET_EXEC)`);
  // elf_xen_note_check: "generic" loader or a Linux guest, built for xen-3.0
  const loaderOk = (notes.loader ?? "").startsWith("generic") || (notes.guestOs ?? "").startsWith("linux");
  if (!loaderOk) fail(`Xen loads only images built for the generic loader or Linux (loader '${notes.loader ?? ""}', guest OS '${notes.guestOs ?? ""}')`);
  if (!(notes.xenVersion ?? "").startsWith("xen-3.0")) fail(`Xen loads only images built for xen-3.0 (XEN_VERSION '${notes.xenVersion ?? ""}')`);

  // Features: unknown optional names are ignored, unknown or unsupported required ones refused.
  const supported: string[] = [], required: string[] = [];
  for (const f of notes.features) {
    const req = f.startsWith("!");
    const name = req ? f.slice(1) : f;
    if (!(name in XENFEAT)) {
      if (req) fail(`requires the unknown Xen feature '${name}'`);
      continue;
    }
    supported.push(name);
    if (req) required.push(name);
  }
  for (const name of required) {
    if (!SUPPORTED_FEATURES.has(name)) fail(`requires the Xen feature '${name}', which xenolith does not provide`);
  }

  const loads = elf.loadSegments;
  if (loads.length === 0) fail("no loadable segment (PT_LOAD)");
  const virtBase = notes.virtBase ?? 0;
  if (virtBase % 4096 !== 0) fail(`VIRT_BASE ${hex(virtBase)} is not page-aligned`);
  const paddrOffset = notes.paddrOffset ?? (source === "notes" ? 0 : virtBase);
  const virtOffset = virtBase - paddrOffset;
  const pstart = Math.min(...loads.map((p) => p.paddr));
  const pend = Math.max(...loads.map((p) => p.paddr + p.memsz));
  const virtKstart = pstart + virtOffset, virtKend = pend + virtOffset;
  if (virtKstart < 0 || virtKend > 2 ** 32) fail(`the image at ${hex(pstart)}..${hex(pend)} + virt_base - paddr_offset (${hex(virtOffset)}) does not fit the 32-bit address space`);
  const entry = notes.entry ?? elf.entry;
  // elf_xen_addr_calc_check
  if (virtKstart > virtKend || entry < virtKstart || entry > virtKend || virtBase > virtKstart) {
    fail(`ELF start or entry out of bounds: virt_base ${hex(virtBase)}, image ${hex(virtKstart)}..${hex(virtKend)}, entry ${hex(entry)}`);
  }
  let hypercallPage: number | undefined;
  if (notes.hypercallPage !== undefined) {
    // __xen_guest's HYPERCALL_PAGE is a page number counted from virt_base
    hypercallPage = source === "notes" ? notes.hypercallPage : virtBase + notes.hypercallPage * 4096;
    if (hypercallPage % 4096 !== 0) fail(`hypercall page ${hex(hypercallPage)} is not page-aligned`);
    if (hypercallPage < virtKstart || hypercallPage + 4096 > virtKend) fail(`hypercall page ${hex(hypercallPage)} lies outside the image ${hex(virtKstart)}..${hex(virtKend)}`);
  }
  const pae = notes.paeMode !== undefined && /^(yes|bimodal)/.test(notes.paeMode);
  const layout = layoutFor(pae);
  if (virtKend > layout.hvStart) fail(`the image ends at ${hex(virtKend)}, inside the hypervisor area (from ${hex(layout.hvStart)}, ${layout.name} layout)`);

  return {
    source, notes, layout, paeMode: notes.paeMode, virtBase, paddrOffset, virtKstart, virtKend, entry,
    hypercallPage, features: { supported, required },
    segments: loads.map((p) => ({ virt: p.paddr + virtOffset, bytes: elf.segmentBytes(p), memsz: p.memsz })),
  };
}
