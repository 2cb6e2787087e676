// ELF32 little-endian i386 images (System V gABI, "ELF-32 Object File Format" + the i386 psABI).
// `parseElf32` checks every field the loaders rely on before anything reads through it, so a
// truncated or inconsistent file is a one-line `ElfError` (a BadImageError: exit status 2), never
// an out-of-bounds read or a half-loaded kernel.
//
//   ELF header (52 bytes) → program headers (32 bytes each, at e_phoff) → what the loaders use
//                         → section headers (40 bytes each, at e_shoff) → names, notes, symbols
import { BadImageError } from "./errors.ts";

export class ElfError extends BadImageError {
  constructor(message: string) {
    super(message);
    this.name = "ElfError";
  }
}

export const ET_REL = 1, ET_EXEC = 2, ET_DYN = 3;
export const EM_386 = 3;
export const PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_PHDR = 6;
export const PF_X = 1, PF_W = 2, PF_R = 4;
export const SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_NOTE = 7, SHT_NOBITS = 8;
const SHN_UNDEF = 0, SHN_XINDEX = 0xffff;
const PN_XNUM = 0xffff;
const EHDR_SIZE = 52, PHDR_SIZE = 32, SHDR_SIZE = 40;

export interface ProgramHeader {
  index: number;
  type: number;
  offset: number;
  vaddr: number;
  paddr: number;
  filesz: number;
  memsz: number;
  flags: number;
  align: number;
}

export interface SectionHeader {
  index: number;
  /** from the section-name string table ("" when the file has none) */
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
}

export interface ElfNote {
  /** owner, e.g. "Xen", "GNU" (without the terminating NUL) */
  name: string;
  type: number;
  desc: Uint8Array;
  /** file offset of the note header */
  offset: number;
}

export interface Elf32 {
  bytes: Uint8Array;
  type: number;
  machine: number;
  entry: number;
  flags: number;
  programHeaders: ProgramHeader[];
  sectionHeaders: SectionHeader[];
  /** the PT_LOAD headers with memsz > 0, in file order */
  loadSegments: ProgramHeader[];
  /** the first section called `name` */
  section(name: string): SectionHeader | undefined;
  /** a section's bytes in the file (empty for SHT_NOBITS) */
  sectionBytes(s: SectionHeader): Uint8Array;
  /** a segment's file bytes (p_filesz of them) */
  segmentBytes(p: ProgramHeader): Uint8Array;
  /** every note of the PT_NOTE segments and SHT_NOTE sections, each once (by file offset) */
  notes: ElfNote[];
}

const hex = (v: number) => "0x" + (v >>> 0).toString(16);

/**
 * Parse and validate an ELF32 i386 image. `what` names the file in error messages.
 * Checks: magic, class 32, little-endian, version, EM_386, header sizes, every table and every
 * segment/section range against the file length, 32-bit address overflow, filesz ≤ memsz, PT_LOAD
 * segments overlapping in physical or virtual address, section names and note framing.
 */
export function parseElf32(bytes: Uint8Array, what = "image"): Elf32 {
  const fail = (msg: string): never => { throw new ElfError(`${what}: ${msg}`); };
  const len = bytes.length;
  if (len < 4 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail("not an ELF file (no \\x7fELF magic)");
  if (len < EHDR_SIZE) fail(`truncated ELF: ${len} bytes, shorter than the 52-byte ELF header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true), u32 = (o: number) => dv.getUint32(o, true);

  // e_ident (gABI "ELF Identification")
  if (bytes[4] !== 1) fail(bytes[4] === 2 ? "a 64-bit ELF (ELFCLASS64); xenolith runs 32-bit x86 kernels" : `bad ELF class ${bytes[4]}`);
  if (bytes[5] !== 1) fail(bytes[5] === 2 ? "a big-endian ELF (ELFDATA2MSB); x86 is little-endian" : `bad ELF data encoding ${bytes[5]}`);
  if (bytes[6] !== 1) fail(`unknown ELF identification version ${bytes[6]}`);
  const type = u16(16), machine = u16(18), version = u32(20), entry = u32(24);
  const phoff = u32(28), shoff = u32(32), flags = u32(36), ehsize = u16(40);
  const phentsize = u16(42), shentsize = u16(46);
  let phnum = u16(44), shnum = u16(48), shstrndx = u16(50);
  if (machine !== EM_386) fail(`ELF machine ${machine} is not EM_386 (3)`);
  if (version !== 1) fail(`unknown ELF version ${version}`);
  if (type !== ET_EXEC && type !== ET_DYN && type !== ET_REL) fail(`unsupported ELF type ${type}`);
  if (ehsize < EHDR_SIZE) fail(`ELF header size ${ehsize} is smaller than 52`);

  const inFile = (off: number, size: number) => off <= len && size <= len - off;

  // Section header 0 carries the extended counts (gABI "Extended Section Numbering").
  if (shoff !== 0 && (shnum === 0 || phnum === PN_XNUM || shstrndx === SHN_XINDEX)) {
    if (shentsize !== SHDR_SIZE) fail(`section header size ${shentsize} is not 40`);
    if (!inFile(shoff, SHDR_SIZE)) fail(`truncated ELF: section header 0 at ${hex(shoff)} lies past the end of the ${len}-byte file`);
    if (shnum === 0) shnum = u32(shoff + 20);
    if (shstrndx === SHN_XINDEX) shstrndx = u32(shoff + 24);
    if (phnum === PN_XNUM) phnum = u32(shoff + 28);
  }

  // Program headers
  const programHeaders: ProgramHeader[] = [];
  if (phnum > 0) {
    if (phentsize !== PHDR_SIZE) fail(`program header size ${phentsize} is not 32`);
    if (!inFile(phoff, phnum * PHDR_SIZE)) fail(`truncated ELF: ${phnum} program headers at ${hex(phoff)} run past the end of the ${len}-byte file`);
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * PHDR_SIZE;
      const p: ProgramHeader = {
        index: i, type: u32(o), offset: u32(o + 4), vaddr: u32(o + 8), paddr: u32(o + 12),
        filesz: u32(o + 16), memsz: u32(o + 20), flags: u32(o + 24), align: u32(o + 28),
      };
      const name = `program header ${i}`;
      if (p.type !== PT_NULL && !inFile(p.offset, p.filesz)) {
        fail(`truncated ELF: ${name} wants ${p.filesz} bytes at file offset ${hex(p.offset)}, past the end of the ${len}-byte file`);
      }
      if (p.type === PT_LOAD) {
        if (p.filesz > p.memsz) fail(`${name}: file size ${hex(p.filesz)} exceeds memory size ${hex(p.memsz)}`);
        // a segment must not wrap around the 4 GiB address space
        if (p.vaddr + p.memsz > 2 ** 32) fail(`${name}: virtual range ${hex(p.vaddr)}+${hex(p.memsz)} overflows 4 GiB`);
        if (p.paddr + p.memsz > 2 ** 32) fail(`${name}: physical range ${hex(p.paddr)}+${hex(p.memsz)} overflows 4 GiB`);
        if (p.align > 1 && (p.align & (p.align - 1)) !== 0) fail(`${name}: alignment ${p.align} is not a power of two`);
      }
      programHeaders.push(p);
    }
  }
  const loadSegments = programHeaders.filter((p) => p.type === PT_LOAD && p.memsz > 0);
  for (let i = 0; i < loadSegments.length; i++) {
    for (let j = i + 1; j < loadSegments.length; j++) {
      const a = loadSegments[i], b = loadSegments[j];
      const overlap = (x: number, y: number) => x < y + b.memsz && y < x + a.memsz;
      if (overlap(a.paddr, b.paddr)) fail(`program headers ${a.index} and ${b.index}: segments overlap in physical memory (${hex(a.paddr)}+${hex(a.memsz)} and ${hex(b.paddr)}+${hex(b.memsz)})`);
      if (overlap(a.vaddr, b.vaddr)) fail(`program headers ${a.index} and ${b.index}: segments overlap in virtual memory (${hex(a.vaddr)}+${hex(a.memsz)} and ${hex(b.vaddr)}+${hex(b.memsz)})`);
    }
  }

  // Section headers
  const sectionHeaders: SectionHeader[] = [];
  if (shoff !== 0 && shnum > 0) {
    if (shentsize !== SHDR_SIZE) fail(`section header size ${shentsize} is not 40`);
    if (!inFile(shoff, shnum * SHDR_SIZE)) fail(`truncated ELF: ${shnum} section headers at ${hex(shoff)} run past the end of the ${len}-byte file`);
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * SHDR_SIZE;
      const s: SectionHeader = {
        index: i, name: "", type: u32(o + 4), flags: u32(o + 8), addr: u32(o + 12), offset: u32(o + 16),
        size: u32(o + 20), link: u32(o + 24), info: u32(o + 28), addralign: u32(o + 32), entsize: u32(o + 36),
      };
      // section 0 (SHN_UNDEF) holds the extended counts, not a range
      if (i !== SHN_UNDEF && s.type !== SHT_NULL && s.type !== SHT_NOBITS && !inFile(s.offset, s.size)) {
        fail(`truncated ELF: section ${i} wants ${s.size} bytes at file offset ${hex(s.offset)}, past the end of the ${len}-byte file`);
      }
      sectionHeaders.push(s);
    }
    if (shstrndx !== SHN_UNDEF) {
      if (shstrndx >= shnum) fail(`section-name table index ${shstrndx} is not one of the ${shnum} sections`);
      const strtab = sectionHeaders[shstrndx];
      if (strtab.type !== SHT_STRTAB) fail(`section-name table (section ${shstrndx}) is not a string table`);
      const table = bytes.subarray(strtab.offset, strtab.offset + strtab.size);
      for (let i = 1; i < shnum; i++) {
        const at = u32(shoff + i * SHDR_SIZE);
        if (at >= table.length) fail(`section ${i}: name offset ${at} lies outside the ${table.length}-byte section-name table`);
        const end = table.indexOf(0, at);
        if (end < 0) fail(`section ${i}: name is not NUL-terminated`);
        sectionHeaders[i].name = new TextDecoder("latin1").decode(table.subarray(at, end));
      }
    }
  } else if (shoff === 0 && shnum !== 0) {
    fail(`${shnum} section headers declared at file offset 0`);
  }

  // Notes: PT_NOTE segments and SHT_NOTE sections (usually the same bytes, reported once)
  const notes: ElfNote[] = [];
  const seen = new Set<number>();
  const readNotes = (off: number, size: number, where: string) => {
    const end = off + size;
    let o = off;
    // a note: namesz, descsz, type, name padded to 4, desc padded to 4 (gABI "Note Section")
    while (o < end) {
      if (end - o < 12) fail(`${where}: truncated note header at file offset ${hex(o)}`);
      const namesz = u32(o), descsz = u32(o + 4), ntype = u32(o + 8);
      const nameAt = o + 12, descAt = nameAt + ((namesz + 3) & ~3), next = descAt + ((descsz + 3) & ~3);
      if (namesz > end - nameAt || descAt + descsz > end) fail(`${where}: note at file offset ${hex(o)} runs past its end`);
      if (!seen.has(o)) {
        seen.add(o);
        const raw = bytes.subarray(nameAt, nameAt + namesz);
        const nul = raw.indexOf(0);
        notes.push({ name: new TextDecoder("latin1").decode(nul < 0 ? raw : raw.subarray(0, nul)), type: ntype, desc: bytes.subarray(descAt, descAt + descsz), offset: o });
      }
      o = Math.min(next, end);
    }
  };
  for (const p of programHeaders) if (p.type === PT_NOTE) readNotes(p.offset, p.filesz, `program header ${p.index} (PT_NOTE)`);
  for (const s of sectionHeaders) if (s.type === SHT_NOTE) readNotes(s.offset, s.size, `section ${s.index} ${s.name} (SHT_NOTE)`);

  return {
    bytes, type, machine, entry, flags, programHeaders, sectionHeaders, loadSegments, notes,
    section: (name) => sectionHeaders.find((s) => s.index !== 0 && s.name === name),
    sectionBytes: (s) => (s.type === SHT_NOBITS ? new Uint8Array(0) : bytes.subarray(s.offset, s.offset + s.size)),
    segmentBytes: (p) => bytes.subarray(p.offset, p.offset + p.filesz),
  };
}
