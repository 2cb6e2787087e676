// Tiny Xen PV kernels built at test time with GNU as/ld (--32): the code given, Xen ELF notes
// (or the legacy __xen_guest string), a page-aligned hypercall page, and a linker script that
// puts text, data and bss in PT_LOAD segments and the notes in a PT_NOTE one.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ELFNOTE } from "../../src/hv/abi.ts";

export type NoteValue = string | number | { u64: bigint } | { sym: string };

export interface PvKernelSpec {
  /** AT&T assembly run at _start */
  code: string;
  /** link (virtual) address of .text */
  base?: number;
  /** p_paddr = p_vaddr - lmaOffset */
  lmaOffset?: number;
  /** Xen notes [type, value]; numbers are 32-bit, {sym} is a symbol's address */
  notes?: [number, NoteValue][];
  /** a legacy __xen_guest section string instead of (or besides) notes */
  xenGuest?: string;
  /** extra data (AT&T) in .data */
  data?: string;
  /** bytes of .bss */
  bss?: number;
  /** put .data in its own PT_LOAD segment */
  twoSegments?: boolean;
}

/** The notes a well-formed test kernel carries. */
export function standardNotes(o: { pae: boolean | string; virtBase?: number; features?: string; hypercall?: boolean }): [number, NoteValue][] {
  const n: [number, NoteValue][] = [
    [ELFNOTE.GUEST_OS, "xenolith-test"], [ELFNOTE.GUEST_VERSION, "0.1"], [ELFNOTE.XEN_VERSION, "xen-3.0"],
    [ELFNOTE.LOADER, "generic"], [ELFNOTE.VIRT_BASE, o.virtBase ?? 0], [ELFNOTE.ENTRY, { sym: "_start" }],
  ];
  if (o.hypercall !== false) n.push([ELFNOTE.HYPERCALL_PAGE, { sym: "hypercall_page" }]);
  if (o.pae !== false) n.push([ELFNOTE.PAE_MODE, o.pae === true ? "yes" : o.pae]);
  if (o.features) n.push([ELFNOTE.FEATURES, o.features]);
  return n;
}

function noteAsm(type: number, v: NoteValue): string {
  let desc: string;
  if (typeof v === "string") desc = `.asciz ${JSON.stringify(v)}`;
  else if (typeof v === "number") desc = `.long ${v >>> 0}`;
  else if ("u64" in v) desc = `.quad ${v.u64}`;
  else desc = `.long ${v.sym}`;
  return `.balign 4\n.long 4, 2f-1f, ${type}\n.asciz "Xen"\n1: ${desc}\n2: .balign 4\n`;
}

export function buildPvKernel(spec: PvKernelSpec): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-pvk-"));
  try {
    const base = spec.base ?? 0;
    const lma = spec.lmaOffset ?? 0;
    const hasNotes = (spec.notes ?? []).length > 0;
    const src = `.text
.globl _start
_start:
${spec.code}
.balign 4096
.globl hypercall_page
hypercall_page: .space 4096
.data
kernel_data: .long 0x600dda7a
${spec.data ?? ""}
.bss
.balign 4
kernel_bss: .space ${spec.bss ?? 64}
${hasNotes ? `.section .note.Xen, "a", @note\n${spec.notes!.map(([t, v]) => noteAsm(t, v)).join("")}` : ""}
${spec.xenGuest !== undefined ? `.section __xen_guest, "", @progbits\n.asciz ${JSON.stringify(spec.xenGuest)}\n` : ""}
`;
    const at = (s: string) => (lma ? `AT(ADDR(${s}) - 0x${lma.toString(16)})` : "");
    const dataPh = spec.twoSegments ? "data" : "text";
    const script = `ENTRY(_start)
PHDRS { text PT_LOAD; ${spec.twoSegments ? "data PT_LOAD;" : ""} ${hasNotes ? "note PT_NOTE;" : ""} }
SECTIONS {
  . = 0x${base.toString(16)};
  .text : ${at(".text")} { *(.text*) } :text
  ${hasNotes ? `.note.Xen : ${at(".note.Xen")} { *(.note.Xen) } :text :note` : ""}
  ${spec.twoSegments ? ". = ALIGN(4096);" : ""}
  .data : ${at(".data")} { *(.data*) *(.rodata*) } :${dataPh}
  .bss : ${at(".bss")} { *(.bss*) *(COMMON) } :${dataPh}
  /DISCARD/ : { *(.note.GNU-stack) *(.comment) *(.note.gnu*) }
}
`;
    writeFileSync(path.join(dir, "k.S"), src);
    writeFileSync(path.join(dir, "k.ld"), script);
    execFileSync("as", ["--32", "-o", path.join(dir, "k.o"), path.join(dir, "k.S")]);
    execFileSync("ld", ["-m", "elf_i386", "--no-warn-rwx-segments", "-T", path.join(dir, "k.ld"), "-o", path.join(dir, "k.elf"), path.join(dir, "k.o")]);
    return new Uint8Array(readFileSync(path.join(dir, "k.elf")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
