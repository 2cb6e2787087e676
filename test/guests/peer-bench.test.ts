// The peer benchmark kernels (../shared/bench/kernels/*.S: alu, mem, call, syscall, tlb, pf, smc,
// null), built at run time exactly as ../shared/bench/bench.mjs builds them (flat multiboot images
// with the a.out kludge at 1 MiB) and run with the xenolith CLI as bench.mjs invokes it. Each must
// print the same `DONE <name> <checksum>` line as QEMU (the reference, run here too when
// qemu-system-i386 is installed) and exit with status 33 (0x10 written to port 0xF4).
// Nothing is copied into the project; skipped with a message when the folder or binutils are absent.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = fileURLToPath(new URL("../..", import.meta.url));
const BENCH = process.env.XENOLITH_BENCH_DIR ?? path.resolve(root, "../shared/bench");
const KERNELS = ["alu", "mem", "call", "syscall", "tlb", "pf", "smc", "null"];
/** iterations: small, and a multiple of 64 (tlb needs it) */
const N = 4096;

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const missing = !existsSync(path.join(BENCH, "kernels")) ? `${BENCH}/kernels not found`
  : !["as", "ld", "objcopy"].every(has) ? "GNU binutils (as, ld, objcopy) not installed" : undefined;
if (missing) console.warn(`peer benchmark kernels skipped: ${missing}`);
const haveQemu = !missing && has("qemu-system-i386");
if (!missing && !haveQemu) console.warn("peer benchmark kernels: qemu-system-i386 not installed; checking xenolith's own lines only");

const QEMU_ARGS = ["-accel", "tcg", "-m", "32", "-display", "none", "-serial", "stdio", "-nic", "none",
  "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"];
const doneLine = (out: string) => out.match(/^DONE (\w+) ([0-9a-f]{8})$/m)?.[0];

describe.skipIf(missing !== undefined)("peer benchmark kernels", () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), "xenolith-peer-")); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function build(w: string): string {
    const base = path.join(dir, `k-${w}-${N}`);
    execFileSync("as", ["--32", "--defsym", `N=${N}`, "-o", `${base}.o`, path.join(BENCH, "kernels", `${w}.S`)]);
    execFileSync("ld", ["-m", "elf_i386", "-Ttext=0x100000", "-e", "_start", "-o", `${base}.elf`, `${base}.o`]);
    execFileSync("objcopy", ["-O", "binary", `${base}.elf`, `${base}.bin`]);
    return `${base}.bin`;
  }

  it.each(KERNELS)("%s prints QEMU's DONE line and exits with status 33", (w) => {
    const bin = build(w);
    const run = spawnSync("node", [path.join(root, "bin/xenolith.mjs"), "run", bin, "--max-insns", "500000000"], { encoding: "utf8", timeout: 120_000 });
    const out = `${run.stdout}${run.stderr}`;
    expect(doneLine(run.stdout), out).toMatch(new RegExp(`^DONE ${w} [0-9a-f]{8}$`));
    expect(run.status, out).toBe(33);
    if (haveQemu) {
      const q = spawnSync("qemu-system-i386", [...QEMU_ARGS, "-kernel", bin], { encoding: "latin1", timeout: 120_000 });
      expect(q.status, `qemu: ${q.stderr}`).toBe(33);
      expect(doneLine(run.stdout)).toBe(doneLine(q.stdout));
    }
  }, 240_000);
});
