// Assemble 32-bit (or 16-bit) code with GNU as, which every machine here has (binutils).
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** Assemble AT&T-syntax `source` linked at `origin`; returns the flat binary. */
export function assemble(source: string, origin = 0x1000, bits: 16 | 32 = 32): Uint8Array {
  const dir = mkdtempSync(path.join(tmpdir(), "xenolith-asm-"));
  try {
    writeFileSync(path.join(dir, "a.S"), `.code${bits}\n.globl _start\n_start:\n${source}\n`);
    execFileSync("as", ["--32", "-o", path.join(dir, "a.o"), path.join(dir, "a.S")]);
    execFileSync("ld", ["-m", "elf_i386", `-Ttext=0x${origin.toString(16)}`, "--oformat", "binary", "-o", path.join(dir, "a.bin"), path.join(dir, "a.o")]);
    return new Uint8Array(readFileSync(path.join(dir, "a.bin")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
