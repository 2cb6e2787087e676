import { describe, it, expect, beforeAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseElf32, ElfError, PT_LOAD, SHT_NOTE } from "../../src/boot/elf.ts";
import { BadImageError } from "../../src/boot/errors.ts";

/** Link a small i386 executable with a code segment, a data segment, a bss and a note. */
function linkElf(): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-elf-"));
  try {
    writeFileSync(path.join(dir, "a.S"), `
      .section .note.test, "a", @note
      .long 4, 8, 0x1234
      .asciz "Abc"
      .long 0x11111111, 0x22222222
      .text
      .globl _start
      _start: hlt
      .data
      .long 42
      .bss
      .space 4096
    `);
    writeFileSync(path.join(dir, "a.ld"), `
      ENTRY(_start)
      PHDRS { text PT_LOAD; data PT_LOAD; note PT_NOTE; }
      SECTIONS {
        . = 0x100000;
        .text : { *(.text) } :text
        .note.test : { *(.note.test) } :text :note
        . = ALIGN(4096);
        .data : { *(.data) } :data
        .bss : { *(.bss) } :data
      }
    `);
    execFileSync("as", ["--32", "-o", path.join(dir, "a.o"), path.join(dir, "a.S")]);
    execFileSync("ld", ["-m", "elf_i386", "-T", path.join(dir, "a.ld"), "-o", path.join(dir, "a.elf"), path.join(dir, "a.o")]);
    return new Uint8Array(readFileSync(path.join(dir, "a.elf")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let elf: Uint8Array;
beforeAll(() => { elf = linkElf(); });
const patched = (f: (dv: DataView, b: Uint8Array) => void) => {
  const b = elf.slice();
  f(new DataView(b.buffer), b);
  return b;
};
const err = (b: Uint8Array) => {
  try { parseElf32(b, "k.elf"); } catch (e) { expect(e).toBeInstanceOf(ElfError); expect(e).toBeInstanceOf(BadImageError); return (e as Error).message; }
  throw new Error("parsed");
};

describe("ELF32 parser", () => {
  it("reads program headers, named sections and notes of a linked kernel", () => {
    const e = parseElf32(elf);
    expect(e.entry).toBe(0x100000);
    const loads = e.programHeaders.filter((p) => p.type === PT_LOAD);
    expect(loads).toHaveLength(2);
    expect(loads[1].memsz - loads[1].filesz).toBeGreaterThanOrEqual(4096); // the bss
    expect(e.section(".text")?.addr).toBe(0x100000);
    expect(e.sectionBytes(e.section(".text")!)[0]).toBe(0xf4);
    expect(e.section(".note.test")?.type).toBe(SHT_NOTE);
    expect(e.section(".nothing")).toBeUndefined();
    // the same note is in the PT_NOTE segment and the SHT_NOTE section: reported once
    expect(e.notes).toHaveLength(1);
    expect(e.notes[0]).toMatchObject({ name: "Abc", type: 0x1234 });
    expect([...e.notes[0].desc]).toEqual([0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22]);
  });

  it("parses the committed guest images", () => {
    const g = parseElf32(new Uint8Array(readFileSync(path.join(__dirname, "../../guests/build/hello.elf"))));
    expect(g.loadSegments.length).toBeGreaterThan(0);
  });

  it("rejects what is not an i386 ELF32, one line each", () => {
    expect(err(new TextEncoder().encode("hello, world\n"))).toBe("k.elf: not an ELF file (no \\x7fELF magic)");
    expect(err(patched((_, b) => { b[4] = 2; }))).toMatch(/64-bit ELF/);
    expect(err(patched((_, b) => { b[5] = 2; }))).toMatch(/big-endian/);
    expect(err(patched((dv) => dv.setUint16(18, 62, true)))).toMatch(/machine 62 is not EM_386/);
    expect(err(patched((dv) => dv.setUint16(42, 56, true)))).toMatch(/program header size 56 is not 32/);
    expect(err(patched((dv) => dv.setUint16(46, 64, true)))).toMatch(/section header size 64 is not 40/);
  });

  it("rejects truncation at every cut point with a clear message", () => {
    expect(err(elf.subarray(0, 40))).toMatch(/^k\.elf: truncated ELF: 40 bytes/);
    for (let cut = 52; cut < elf.length; cut += Math.max(1, elf.length >> 6)) {
      const m = err(elf.subarray(0, cut));
      expect(m).toMatch(/^k\.elf: truncated ELF|runs past its end/);
      expect(m).not.toContain("\n");
    }
  });

  it("rejects inconsistent segments", () => {
    const e = parseElf32(elf);
    const phoff = new DataView(elf.buffer, elf.byteOffset).getUint32(28, true);
    const ph = (i: number, field: number) => phoff + i * 32 + field;
    const [a, b] = e.programHeaders.filter((p) => p.type === PT_LOAD);
    expect(err(patched((dv) => dv.setUint32(ph(a.index, 20), a.filesz - 1, true)))).toMatch(/file size .* exceeds memory size/);
    expect(err(patched((dv) => dv.setUint32(ph(b.index, 12), a.paddr, true)))).toMatch(/overlap in physical memory/);
    expect(err(patched((dv) => dv.setUint32(ph(b.index, 8), a.vaddr + 4, true)))).toMatch(/overlap in virtual memory/);
    expect(err(patched((dv) => dv.setUint32(ph(b.index, 12), 0xfffff000, true)))).toMatch(/physical range .* overflows 4 GiB/);
  });

  it("rejects a section name outside the string table and a broken note", () => {
    const e = parseElf32(elf);
    const shoff = new DataView(elf.buffer, elf.byteOffset).getUint32(32, true);
    expect(err(patched((dv) => dv.setUint32(shoff + 40, 0xffffff, true)))).toMatch(/section 1: name offset/);
    const note = e.notes[0].offset;
    expect(err(patched((dv) => dv.setUint32(note + 4, 0x1000, true)))).toMatch(/note at file offset .* runs past its end/);
  });
});
