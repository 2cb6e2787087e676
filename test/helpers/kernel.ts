// Tiny multiboot ELF kernels for tests: `code` (AT&T syntax) at _start, linked at 1 MiB after a
// multiboot header (flags 0: ELF loading, no requirements).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export function assembleElf(code: string, opts: { multiboot?: boolean; base?: number } = {}): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-kernel-"));
  try {
    const header = opts.multiboot === false ? "" : `.p2align 2\n.long 0x1BADB002, 0, -0x1BADB002\n`;
    writeFileSync(path.join(dir, "k.S"), `.text\n.code32\n${header}.globl _start\n_start:\n${code}\n`);
    execFileSync("as", ["--32", "-o", path.join(dir, "k.o"), path.join(dir, "k.S")]);
    execFileSync("ld", ["-m", "elf_i386", `-Ttext=0x${(opts.base ?? 0x100000).toString(16)}`, "-e", "_start", "-o", path.join(dir, "k.elf"), path.join(dir, "k.o")]);
    return new Uint8Array(readFileSync(path.join(dir, "k.elf")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
