// The command as users run it: `node bin/xenolith.mjs run ...` (needs `npm run build`).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { assembleElf } from "../helpers/kernel.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const xenolith = (...args: string[]) =>
  spawnSync("node", [path.join(root, "bin/xenolith.mjs"), "run", ...args], { encoding: "utf8", timeout: 60_000 });

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), "xenolith-cli-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** one line on stderr, nothing on stdout, exit status 2 */
function expectBadInput(r: ReturnType<typeof xenolith>, pattern: RegExp) {
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.status).toBe(2);
}

describe("xenolith run: bad input is one line and exit status 2", () => {
  it("a missing file", () => {
    expectBadInput(xenolith(path.join(dir, "nothing.elf")), /^xenolith: .*nothing\.elf: no such file\n$/);
  });
  it("a text file", () => {
    const f = path.join(dir, "notes.txt");
    writeFileSync(f, "this is not a kernel\n");
    expectBadInput(xenolith(f), /^xenolith: .*notes\.txt: a text file, not a kernel image/);
  });
  it("a truncated ELF", () => {
    const f = path.join(dir, "trunc.elf");
    writeFileSync(f, readFileSync(path.join(root, "guests/build/hello.elf")).subarray(0, 300));
    expectBadInput(xenolith(f), /^xenolith: .*trunc\.elf: truncated ELF/);
  });
  it("a directory, an ELF without a multiboot header, a kernel too big for --memory", () => {
    expectBadInput(xenolith(dir), /is a directory/);
    const plain = path.join(dir, "plain.elf");
    writeFileSync(plain, assembleElf("hlt", { multiboot: false }));
    expectBadInput(xenolith(plain), /no multiboot header/);
    const big = path.join(dir, "big.elf");
    writeFileSync(big, assembleElf("hlt\n.bss\n.space 0x300000"));
    expectBadInput(xenolith(big, "--memory", "2"), /does not fit in the 2 MiB of RAM/);
  });
  it("bad options", () => {
    const r = xenolith("x.elf", "--memory", "0");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--memory/);
  });
  it("--mode pv with a multiboot kernel (no Xen notes)", () => {
    expectBadInput(xenolith(path.join(root, "guests/build/hello.elf"), "--mode", "pv"), /hello\.elf: not a Xen PV kernel/);
  });
});

describe("xenolith run: guests", () => {
  it("prints on COM1 and 0xE9 and exits through port 0xF4 with (v << 1) | 1", () => {
    const f = path.join(dir, "hello.elf");
    writeFileSync(f, assembleElf(`
      mov $0x3f8, %dx; mov $'h', %al; out %al, %dx
      mov $0xe9, %dx; mov $'i', %al; out %al, %dx
      mov $0x3f8, %dx; mov $'\\n', %al; out %al, %dx
      mov $0xf4, %dx; mov $0x10, %al; out %al, %dx
      hlt`));
    const r = xenolith(f);
    expect(r.stdout).toBe("hi\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(33);
  });
  it("--cmdline and --module reach the guest through the multiboot information", () => {
    // prints the command line, then each module's string and first byte, from the info at EBX
    const f = path.join(dir, "cmdline.elf");
    writeFileSync(f, assembleElf(`
      cmp $0x2badb002, %eax; jne 9f
      mov $0x90000, %esp
      mov %ebx, %edi
      mov 16(%edi), %esi; call puts
      mov 20(%edi), %ecx; mov 24(%edi), %ebx
      1: jecxz 2f
      mov $'|', %al; out %al, $0xe9
      mov 8(%ebx), %esi; call puts
      mov $'=', %al; out %al, $0xe9
      mov (%ebx), %esi; lodsb; out %al, $0xe9
      add $16, %ebx; dec %ecx; jmp 1b
      2: mov $0x10, %al; out %al, $0xf4
      9: cli; hlt
      puts: lodsb; test %al, %al; jz 3f; out %al, $0xe9; jmp puts
      3: ret`));
    const mod = path.join(dir, "m.bin");
    writeFileSync(mod, "Xmodule");
    const r = xenolith(f, "--cmdline", "console=ttyS0 quiet", "--module", `${mod} arg1`);
    expect(r.stdout).toBe(`${f} console=ttyS0 quiet|${mod} arg1=X`);
    expect(r.status).toBe(33);
  });

  it("--max-insns stops an endless loop with exit status 3", () => {
    const f = path.join(dir, "loop.elf");
    writeFileSync(f, assembleElf("1: jmp 1b"));
    const r = xenolith(f, "--max-insns", "1000");
    expect(r.stderr).toMatch(/^xenolith: stopped at the instruction limit \(--max-insns\): 1000 instructions/);
    expect(r.status).toBe(3);
  });
  it("HLT with interrupts off ends the run with status 0", () => {
    const f = path.join(dir, "halt.elf");
    writeFileSync(f, assembleElf("cli\nhlt"));
    const r = xenolith(f);
    expect(r.stderr).toMatch(/halted with interrupts disabled at EIP 0x0010/);
    expect(r.status).toBe(0);
  });
  it("an internal error names the guest EIP, exit status 1", () => {
    const f = path.join(dir, "fpu.elf");
    // RDPMC: valid at CPL 0, not implemented by the core
    writeFileSync(f, assembleElf("rdpmc\nhlt"));
    const r = xenolith(f);
    expect(r.stderr).toMatch(/^xenolith: internal error at guest EIP 0x0010[0-9a-f]{4}: instruction \w+ is not implemented\n$/);
    expect(r.status).toBe(1);
  });
  it("--stats and --json report the run on stderr", () => {
    const f = path.join(dir, "exit.elf");
    writeFileSync(f, assembleElf("mov $0xf4, %dx\nmov $1, %al\nout %al, %dx"));
    const s = xenolith(f, "--stats");
    expect(s.status).toBe(3);
    expect(s.stderr).toMatch(/^instructions +3 in /m);
    expect(s.stderr).toMatch(/^exits +.*IO 1/m);
    const j = xenolith(f, "--json");
    const rec = JSON.parse(j.stderr);
    expect(rec).toMatchObject({ status: 3, instructions: 3, outcome: { kind: "exit", value: 1 } });
    expect(rec.exits.IO).toBe(1);
  });
  it("--trace N prints N instructions with iced-x86 and registers", () => {
    const f = path.join(dir, "trace.elf");
    writeFileSync(f, assembleElf("mov $5, %ecx\nmov $0xf4, %dx\nmov $1, %al\nout %al, %dx"));
    const r = xenolith(f, "--trace", "2");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^#0 0008:0010[0-9a-f]{4}  b9 05 00 00 00 +mov +\$5,%ecx +eax=2badb002 ecx=00000000/);
    expect(lines[1]).toMatch(/^#1 .* ecx=00000005/);
  });
});

describe("xenolith run --engine", () => {
  it("interp and jit (threshold 0) give the same output, status and instruction count", () => {
    const image = path.join(root, "guests/build/rings.elf");
    const runs = ["interp", "jit"].map((engine) => xenolith("--engine", engine, "--jit-threshold", "0", "--json", image));
    for (const r of runs) expect(r.status, r.stderr).toBe(33);
    expect(runs[1].stdout).toBe(runs[0].stdout);
    const insns = runs.map((r) => JSON.parse(r.stderr.trim().split("\n").pop()!).instructions);
    expect(insns[0]).toBeGreaterThan(1000);
    expect(insns[1]).toBe(insns[0]);
  });
  it("an unknown engine is a usage error (exit status 2)", () => {
    const r = xenolith("--engine", "fast", path.join(root, "guests/build/hello.elf"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--engine/);
  });
});
