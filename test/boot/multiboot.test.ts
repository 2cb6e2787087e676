import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { loadMultiboot, findMultibootHeader, MBI_MEMORY, MBI_CMDLINE, MBI_MODS, MBI_MMAP, MBI_LOADER_NAME } from "../../src/boot/multiboot.ts";
import { BadImageError } from "../../src/boot/errors.ts";
import { assembleElf } from "../helpers/kernel.ts";

/** A flat image with the a.out kludge, built as the peer benchmark kernels are (objcopy -O binary). */
function flatImage(body: string, header = "mb_header, image_start, 0, 0, _start"): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-mb-"));
  try {
    writeFileSync(path.join(dir, "k.S"), `
      .text
      .code32
      image_start: jmp _start
      .p2align 2
      mb_header: .long 0x1BADB002, 0x00010003, -(0x1BADB002 + 0x00010003)
      .long ${header}
      .globl _start
      _start: ${body}
    `);
    execFileSync("as", ["--32", "-o", path.join(dir, "k.o"), path.join(dir, "k.S")]);
    execFileSync("ld", ["-m", "elf_i386", "-Ttext=0x100000", "-e", "_start", "-o", path.join(dir, "k.elf"), path.join(dir, "k.o")]);
    execFileSync("objcopy", ["-O", "binary", path.join(dir, "k.elf"), path.join(dir, "k.bin")]);
    return new Uint8Array(readFileSync(path.join(dir, "k.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rd32 = (m: Machine, ma: number) => new DataView(m.u8.buffer).getUint32(L.RAM_BASE + ma, true);
const cstr = (m: Machine, ma: number) => { let s = ""; for (let c; (c = m.u8[L.RAM_BASE + ma++]); ) s += String.fromCharCode(c); return s; };
const bad = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(BadImageError); return (e as Error).message; } throw new Error("loaded"); };

describe("multiboot v1 loader", () => {
  it("loads an ELF kernel and sets the machine state of spec §3.2", () => {
    const m = new Machine({ ramBytes: 16 << 20 });
    const elf = assembleElf("movl $0x12345678, data\nhlt\n.data\ndata: .long 7\n.bss\n.space 64");
    const boot = loadMultiboot(m, elf, { name: "k.elf", cmdline: "k.elf console=ttyS0" });
    expect(boot.format).toBe("elf");
    expect(m.eip).toBe(boot.entry);
    expect(boot.entry).toBeGreaterThanOrEqual(0x100000);
    expect(m.reg("eax")).toBe(0x2badb002);
    expect(m.reg("ebx")).toBe(boot.infoAddr);
    expect(m.field(L.S_CR0) & 0x80000001).toBe(1); // PE = 1, PG = 0
    expect(m.eflags & (1 << 9)).toBe(0);           // IF = 0
    for (let s = 0; s < 6; s++) {
      expect(m.field(L.S_SEG_BASE + s * 4)).toBe(0);
      expect(m.field(L.S_SEG_LIMIT + s * 4)).toBe(0xffffffff);
    }
    expect((m.field(L.S_SEG_ATTR + 4) >> 14) & 1).toBe(1); // CS is 32-bit
    expect(m.field(L.S_CPL)).toBe(0);
    // the code is in memory
    expect(m.readPhys(boot.entry, 2)).toEqual(new Uint8Array([0xc7, 0x05]));
  });

  it("fills the information structure: memory, memory map, command line, loader name, modules", () => {
    const m = new Machine({ ramBytes: 16 << 20 });
    const mod = new TextEncoder().encode("module bytes");
    const boot = loadMultiboot(m, assembleElf("hlt"), { cmdline: "k.elf a=b", modules: [{ bytes: mod, cmdline: "initrd x" }] });
    const mbi = boot.infoAddr;
    expect(rd32(m, mbi)).toBe(MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
    expect(rd32(m, mbi + 4)).toBe(639);               // mem_lower (KiB)
    expect(rd32(m, mbi + 8)).toBe(15 * 1024);         // mem_upper: 1 MiB up to the end of RAM
    expect(cstr(m, rd32(m, mbi + 16))).toBe("k.elf a=b");
    expect(cstr(m, rd32(m, mbi + 64))).toBe("xenolith");
    // memory map: {size, base, length, type}
    const len = rd32(m, mbi + 44), map = rd32(m, mbi + 48);
    const entries = [];
    for (let e = map; e < map + len; e += rd32(m, e) + 4) entries.push([rd32(m, e + 4), rd32(m, e + 12), rd32(m, e + 20)]);
    expect(entries).toEqual([[0, 0x9fc00, 1], [0x9fc00, 0x400, 2], [0xf0000, 0x10000, 2], [0x100000, 15 << 20, 1]]);
    // modules: page-aligned after the kernel
    expect(rd32(m, mbi + 20)).toBe(1);
    const list = rd32(m, mbi + 24);
    const start = rd32(m, list), end = rd32(m, list + 4);
    expect(start % 4096).toBe(0);
    expect(start).toBeGreaterThanOrEqual(boot.kernelEnd);
    expect(end - start).toBe(mod.length);
    expect(new TextDecoder().decode(m.readPhys(start, end - start))).toBe("module bytes");
    expect(cstr(m, rd32(m, list + 8))).toBe("initrd x");
  });

  it("loads a flat image with the a.out kludge like the benchmark kernels", () => {
    const m = new Machine({ ramBytes: 4 << 20 });
    const img = flatImage("hlt");
    const h = findMultibootHeader(img)!;
    expect(h.flags).toBe(0x00010003);
    expect(h.offset).toBe(4);
    const boot = loadMultiboot(m, img);
    expect(boot.format).toBe("aout-kludge");
    expect(boot.loaded).toEqual([[0x100000, 0x100000 + img.length]]);
    expect(m.eip).toBe(h.entryAddr);
    expect(m.readPhys(0x100000, img.length)).toEqual(img);
  });

  it("zeroes the bss up to bss_end_addr", () => {
    const m = new Machine({ ramBytes: 4 << 20 });
    m.u8.fill(0xaa, L.RAM_BASE + 0x100000, L.RAM_BASE + 0x103000);
    const img = flatImage("hlt\n.p2align 4\nend_of_file:", "mb_header, image_start, end_of_file, 0x102000, _start");
    loadMultiboot(m, img);
    expect(m.readPhys(0x100000 + img.length, 0x102000 - 0x100000 - img.length).every((b) => b === 0)).toBe(true);
    expect(m.readPhys(0x102000, 1)[0]).toBe(0xaa);
  });

  it("rejects images it cannot boot, one line each", () => {
    const m = new Machine({ ramBytes: 2 << 20 });
    expect(bad(() => loadMultiboot(m, new Uint8Array(0), { name: "e" }))).toBe("e: empty file");
    expect(bad(() => loadMultiboot(m, new TextEncoder().encode("#!/bin/sh\necho hi\n"), { name: "t" }))).toMatch(/^t: a text file/);
    expect(bad(() => loadMultiboot(m, new Uint8Array(9000), { name: "z" }))).toMatch(/^z: no multiboot header in the first 8192 bytes/);
    // the header must be in the first 8192 bytes
    const late = new Uint8Array(8200);
    new DataView(late.buffer).setUint32(8192, 0x1badb002, true);
    new DataView(late.buffer).setUint32(8200 - 4, (-0x1badb002) >>> 0, true);
    expect(bad(() => loadMultiboot(m, late))).toMatch(/no multiboot header/);
    // a requirement this loader does not know (flag bit 5)
    const img = flatImage("hlt").slice();
    const dv = new DataView(img.buffer);
    dv.setUint32(8, 0x00010023, true); dv.setUint32(12, (-(0x1badb002 + 0x00010023)) >>> 0, true);
    expect(bad(() => loadMultiboot(m, img))).toMatch(/requires features this loader does not know \(flags 0x20\)/);
    // does not fit
    expect(bad(() => loadMultiboot(m, assembleElf("hlt\n.bss\n.space 0x200000"), { name: "big" }))).toMatch(/^big: ELF segment \d+ at 0x[0-9a-f]+-0x[0-9a-f]+ does not fit in the 2 MiB of RAM/);
    expect(bad(() => loadMultiboot(m, flatImage("hlt", "mb_header, image_start, 0, 0x400000, _start")))).toMatch(/the kernel at .* does not fit/);
    // entry outside the image
    expect(bad(() => loadMultiboot(m, flatImage("hlt", "mb_header, image_start, 0, 0, 0x90000")))).toMatch(/entry_addr 0x90000 is outside/);
  });

  it("a kernel linked in the upper half starts at the physical address of its entry point", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "xenolith-mb-"));
    try {
      writeFileSync(path.join(dir, "k.S"), ".text\n.p2align 2\n.long 0x1BADB002, 0, -0x1BADB002\n.globl _start\n_start: hlt\n");
      writeFileSync(path.join(dir, "k.ld"), "ENTRY(_start)\nSECTIONS { . = 0xC0100000; .text : AT(0x100000) { *(.text) } }\n");
      execFileSync("as", ["--32", "-o", path.join(dir, "k.o"), path.join(dir, "k.S")]);
      execFileSync("ld", ["-m", "elf_i386", "-T", path.join(dir, "k.ld"), "-o", path.join(dir, "k.elf"), path.join(dir, "k.o")]);
      const m = new Machine({ ramBytes: 4 << 20 });
      const boot = loadMultiboot(m, new Uint8Array(readFileSync(path.join(dir, "k.elf"))));
      expect(boot.entry).toBe(0x10000c);
      expect(m.readPhys(boot.entry, 1)[0]).toBe(0xf4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
