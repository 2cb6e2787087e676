// Multiboot v1 (Multiboot Specification 0.6.96): what `qemu-system-i386 -kernel` boots.
//
// The header: magic 0x1BADB002, flags, checksum (magic + flags + checksum = 0), 4-byte aligned in
// the first 8192 bytes (spec §3.1.1). Flags bits 0-15 are requirements: bit 0 page-align modules,
// bit 1 memory information (always given), bit 2 video mode (no display here: ignored, as QEMU
// does); any other bit in 0-15 is a requirement this loader does not know, so it refuses the
// image (§3.1.2). Bit 16 (the "a.out kludge") means the load addresses come from the header:
// header_addr, load_addr, load_end_addr (0 = to the end of the file), bss_end_addr (0 = no bss),
// entry_addr (§3.1.3); without it the image must be an ELF32 executable, loaded by its PT_LOAD
// segments at their physical addresses.
//
// The machine state on entry (§3.2): EAX = 0x2BADB002, EBX = physical address of the multiboot
// information; CS a 32-bit flat read/execute segment, DS ES FS GS SS 32-bit flat read/write
// segments (selectors 0x08 and 0x10, the values GRUB uses); CR0.PE = 1, paging off; EFLAGS.IF =
// 0 and VM = 0; ESP, GDTR and IDTR undefined (ESP 0, no tables loaded here).
//
// The information structure (§3.3) and what it points to (memory map, command line, module list
// and module strings, boot loader name) go in low memory at INFO_BASE, below the EBDA; modules
// are placed page-aligned after the kernel. Everything must fit in RAM and not overlap the kernel.
import { L } from "../core/layout.gen.ts";
import type { Machine } from "../core/machine.ts";
import { BadImageError } from "./errors.ts";
import { parseElf32, ET_EXEC } from "./elf.ts";

export const MULTIBOOT_MAGIC = 0x1badb002;
/** EAX on entry */
export const MULTIBOOT_BOOTLOADER_MAGIC = 0x2badb002;
const SEARCH_BYTES = 8192;
const FLAG_PAGE_ALIGN = 1 << 0, FLAG_MEMORY = 1 << 1, FLAG_VIDEO = 1 << 2, FLAG_AOUT_KLUDGE = 1 << 16;
const KNOWN_REQUIRED = FLAG_PAGE_ALIGN | FLAG_MEMORY | FLAG_VIDEO;

// multiboot_info.flags (§3.3)
export const MBI_MEMORY = 1 << 0, MBI_CMDLINE = 1 << 2, MBI_MODS = 1 << 3, MBI_MMAP = 1 << 6, MBI_LOADER_NAME = 1 << 9;

/** where the information structure and its strings go: conventional memory below the EBDA */
export const INFO_BASE = 0x9000;
const INFO_END = 0x9fc00;
/** conventional memory the BIOS reports: 640 KiB less the 1 KiB EBDA */
const LOWER_TOP = 0x9fc00;
const MiB = 1 << 20;

export interface MultibootHeader {
  /** file offset of the header */
  offset: number;
  flags: number;
  headerAddr: number;
  loadAddr: number;
  loadEndAddr: number;
  bssEndAddr: number;
  entryAddr: number;
}

export interface MultibootModule {
  bytes: Uint8Array;
  /** the module's string (conventionally its file name and arguments) */
  cmdline: string;
}

export interface MultibootOptions {
  /** the image's name in messages */
  name?: string;
  /** the kernel command line (the spec leaves its content to the loader; QEMU passes the file name,
   * a space and -append's text, which `cmdline` reproduces when given the file name) */
  cmdline?: string;
  modules?: MultibootModule[];
}

export interface MultibootBoot {
  header: MultibootHeader;
  /** "elf" or "aout-kludge" */
  format: "elf" | "aout-kludge";
  entry: number;
  /** machine address of the information structure (EBX) */
  infoAddr: number;
  /** the physical ranges written: [start, end) */
  loaded: Array<[number, number]>;
  /** first byte after the kernel (and its bss) */
  kernelEnd: number;
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16);

/** Find the multiboot header (§3.1.1), or undefined. */
export function findMultibootHeader(image: Uint8Array): MultibootHeader | undefined {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const end = Math.min(image.length, SEARCH_BYTES) - 12;
  for (let off = 0; off <= end; off += 4) {
    if (dv.getUint32(off, true) !== MULTIBOOT_MAGIC) continue;
    const flags = dv.getUint32(off + 4, true), sum = dv.getUint32(off + 8, true);
    if (((MULTIBOOT_MAGIC + flags + sum) >>> 0) !== 0) continue;
    const h: MultibootHeader = { offset: off, flags, headerAddr: 0, loadAddr: 0, loadEndAddr: 0, bssEndAddr: 0, entryAddr: 0 };
    if (flags & FLAG_AOUT_KLUDGE && off + 32 <= image.length) {
      h.headerAddr = dv.getUint32(off + 12, true);
      h.loadAddr = dv.getUint32(off + 16, true);
      h.loadEndAddr = dv.getUint32(off + 20, true);
      h.bssEndAddr = dv.getUint32(off + 24, true);
      h.entryAddr = dv.getUint32(off + 28, true);
    }
    return h;
  }
  return undefined;
}

/** Does `image` look like text (no NUL or control bytes other than whitespace in its start)? */
function looksLikeText(image: Uint8Array): boolean {
  const n = Math.min(image.length, 512);
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const b = image[i];
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  }
  return true;
}

/**
 * Load a multiboot kernel into `machine` and set the machine state of §3.2. Throws BadImageError
 * (one line) when the image is not a multiboot kernel or does not fit.
 */
export function loadMultiboot(machine: Machine, image: Uint8Array, opts: MultibootOptions = {}): MultibootBoot {
  const name = opts.name ?? "image";
  const fail = (msg: string): never => { throw new BadImageError(`${name}: ${msg}`); };
  const ram = machine.ramBytes;
  const ramText = `the ${ram >= MiB ? `${ram / MiB} MiB` : `${ram / 1024} KiB`} of RAM`;
  if (image.length === 0) fail("empty file");
  const isElf = image.length >= 4 && image[0] === 0x7f && image[1] === 0x45 && image[2] === 0x4c && image[3] === 0x46;
  // an ELF file is checked whole first, so a truncated or broken one says so
  const elf = isElf ? parseElf32(image, name) : undefined;
  const header = findMultibootHeader(image);
  if (!header) {
    if (looksLikeText(image)) fail("a text file, not a kernel image (no multiboot header)");
    fail("no multiboot header in the first 8192 bytes (not a multiboot kernel)");
  }
  const h = header!;
  const unknown = h.flags & 0xffff & ~KNOWN_REQUIRED;
  if (unknown) fail(`the multiboot header requires features this loader does not know (flags ${hex(unknown)})`);

  const loaded: Array<[number, number]> = [];
  const place = (start: number, end: number, what: string) => {
    if (end > ram || end < start) fail(`${what} at ${hex(start)}-${hex(end - 1)} does not fit in ${ramText} (try --memory)`);
    for (const [s, e] of loaded) if (start < e && s < end) fail(`${what} at ${hex(start)}-${hex(end - 1)} overlaps ${hex(s)}-${hex(e - 1)}`);
    loaded.push([start, end]);
  };
  const zero = (start: number, end: number) => machine.u8.fill(0, L.RAM_BASE + start, L.RAM_BASE + end);

  let entry: number, format: MultibootBoot["format"];
  if (h.flags & FLAG_AOUT_KLUDGE) {
    format = "aout-kludge";
    if (h.offset + 32 > image.length) fail("truncated multiboot header (the a.out kludge needs 32 bytes)");
    // §3.1.3: header_addr is where the header's own bytes load; load_addr ≤ header_addr.
    if (h.loadAddr > h.headerAddr) fail(`multiboot header: load_addr ${hex(h.loadAddr)} is above header_addr ${hex(h.headerAddr)}`);
    const fileStart = h.offset - (h.headerAddr - h.loadAddr);
    if (fileStart < 0) fail(`multiboot header: header_addr - load_addr (${hex(h.headerAddr - h.loadAddr)}) reaches before the start of the file`);
    const loadEnd = h.loadEndAddr === 0 ? h.loadAddr + (image.length - fileStart) : h.loadEndAddr;
    if (loadEnd < h.loadAddr) fail(`multiboot header: load_end_addr ${hex(loadEnd)} is below load_addr ${hex(h.loadAddr)}`);
    if (fileStart + (loadEnd - h.loadAddr) > image.length) fail(`truncated image: load_end_addr ${hex(loadEnd)} needs ${loadEnd - h.loadAddr} bytes from file offset ${fileStart}, the file has ${image.length - fileStart}`);
    const bssEnd = h.bssEndAddr === 0 ? loadEnd : h.bssEndAddr;
    if (bssEnd < loadEnd) fail(`multiboot header: bss_end_addr ${hex(bssEnd)} is below load_end_addr ${hex(loadEnd)}`);
    place(h.loadAddr, bssEnd, "the kernel");
    machine.writePhys(h.loadAddr, image.subarray(fileStart, fileStart + (loadEnd - h.loadAddr)));
    zero(loadEnd, bssEnd);
    entry = h.entryAddr;
    if (entry < h.loadAddr || entry >= loadEnd) fail(`multiboot header: entry_addr ${hex(entry)} is outside the loaded image ${hex(h.loadAddr)}-${hex(loadEnd - 1)}`);
  } else {
    format = "elf";
    if (!elf) return fail("the multiboot header has no load addresses (flag 16) and the image is not an ELF file");
    if (elf.type !== ET_EXEC) fail(`ELF type ${elf.type} is not an executable (ET_EXEC)`);
    if (elf.loadSegments.length === 0) fail("ELF has no loadable segments");
    // segments load at their physical addresses (p_paddr), as GRUB and QEMU load them
    for (const p of elf.loadSegments) {
      place(p.paddr, p.paddr + p.memsz, `ELF segment ${p.index}`);
      machine.writePhys(p.paddr, elf.segmentBytes(p));
      zero(p.paddr + p.filesz, p.paddr + p.memsz);
    }
    entry = elf.entry;
    // A kernel linked at a virtual address (AT() in the linker script) has e_entry virtual:
    // translate it through its segment when it lies in no segment's physical range (as QEMU does).
    const inPhys = elf.loadSegments.some((p) => entry >= p.paddr && entry < p.paddr + p.memsz);
    if (!inPhys) {
      const seg = elf.loadSegments.find((p) => entry >= p.vaddr && entry < p.vaddr + p.memsz);
      if (!seg) fail(`ELF entry point ${hex(entry)} is in no loadable segment`);
      entry = entry - seg!.vaddr + seg!.paddr;
    }
  }
  const kernelEnd = Math.max(...loaded.map(([, e]) => e));

  // ---- the information structure (§3.3) ----
  const info = new InfoWriter(machine, INFO_BASE, INFO_END, (what) => fail(`the multiboot information (${what}) does not fit in low memory`));
  const infoAddr = info.alloc(88, 4);
  let infoFlags = MBI_MEMORY | MBI_MMAP | MBI_LOADER_NAME;
  const mi = (field: number, v: number) => info.u32(infoAddr + field, v);
  // mem_lower / mem_upper in KiB: conventional memory and the memory from 1 MiB up to the first hole
  mi(4, LOWER_TOP >> 10);
  mi(8, ram > MiB ? (ram - MiB) >> 10 : 0);
  if (opts.cmdline !== undefined) {
    infoFlags |= MBI_CMDLINE;
    mi(16, info.string(opts.cmdline));
  }
  // the memory map: entries {size = 20, base_addr u64, length u64, type u32}, type 1 = usable RAM
  const map: Array<[number, number, number]> = [[0, Math.min(LOWER_TOP, ram), 1], [LOWER_TOP, 0xa0000 - LOWER_TOP, 2], [0xf0000, 0x10000, 2]];
  if (ram > MiB) map.push([MiB, ram - MiB, 1]);
  const mapAddr = info.alloc(map.length * 24, 4);
  map.forEach(([base, length, type], i) => {
    const e = mapAddr + i * 24;
    info.u32(e, 20); info.u32(e + 4, base); info.u32(e + 8, 0); info.u32(e + 12, length); info.u32(e + 16, 0); info.u32(e + 20, type);
  });
  mi(44, map.length * 24);
  mi(48, mapAddr);
  mi(64, info.string("xenolith"));

  const modules = opts.modules ?? [];
  if (modules.length > 0) {
    infoFlags |= MBI_MODS;
    const listAddr = info.alloc(modules.length * 16, 4);
    let at = (kernelEnd + 0xfff) & ~0xfff; // modules are page-aligned after the kernel (QEMU does this always)
    modules.forEach((m, i) => {
      if (h.flags & FLAG_PAGE_ALIGN) at = (at + 0xfff) & ~0xfff;
      place(at, at + m.bytes.length, `module ${i}`);
      machine.writePhys(at, m.bytes);
      const e = listAddr + i * 16;
      info.u32(e, at); info.u32(e + 4, at + m.bytes.length); info.u32(e + 8, info.string(m.cmdline)); info.u32(e + 12, 0);
      at += m.bytes.length;
    });
    mi(20, modules.length);
    mi(24, listAddr);
  }
  mi(0, infoFlags);
  for (const [s, e] of loaded) if (s < info.end && INFO_BASE < e) fail(`the kernel at ${hex(s)}-${hex(e - 1)} overlaps the multiboot information at ${hex(INFO_BASE)}`);

  setEntryState(machine, entry, infoAddr);
  return { header: h, format, entry, infoAddr, loaded, kernelEnd };
}

/** The machine state of §3.2. */
function setEntryState(m: Machine, entry: number, infoAddr: number): void {
  for (const r of ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const) m.setReg(r, 0);
  m.setReg("eax", MULTIBOOT_BOOTLOADER_MAGIC);
  m.setReg("ebx", infoAddr);
  // descriptor bits 40-55 >> 8: G=1 D=1, P=1 DPL=0 S=1; code type 0xA (execute/read), data 0x3
  // (read/write, accessed); limit 4 GiB - 1
  const CODE = 0xcf9b, DATA = 0xcf93;
  m.setField(L.S_CR0, 0x11); // PE, ET (the 387 is present); PG = 0
  for (const sreg of [0, 2, 3, 4, 5]) m.setSegment(sreg, 0x10, 0, 0xffffffff, DATA);
  m.setSegment(1, 0x08, 0, 0xffffffff, CODE);
  m.setCpl(0);
  m.eflags = 0x2; // IF = 0, VM = 0 (bit 1 is always 1)
  m.eip = entry;
}

/** A bump allocator over the low-memory area holding the information structure. */
class InfoWriter {
  end: number;
  constructor(private readonly m: Machine, base: number, private readonly limit: number, private readonly overflow: (what: string) => void) {
    this.end = base;
  }
  alloc(size: number, align: number): number {
    const at = (this.end + align - 1) & ~(align - 1);
    if (at + size > this.limit || at + size > this.m.ramBytes) this.overflow(`${size} bytes`);
    this.m.u8.fill(0, L.RAM_BASE + at, L.RAM_BASE + at + size);
    this.end = at + size;
    return at;
  }
  u32(ma: number, v: number): void {
    new DataView(this.m.u8.buffer).setUint32(L.RAM_BASE + ma, v >>> 0, true);
  }
  string(s: string): number {
    const b = Buffer.from(s + "\0", "latin1");
    const at = this.alloc(b.length, 1);
    this.m.u8.set(b, L.RAM_BASE + at);
    return at;
  }
}
