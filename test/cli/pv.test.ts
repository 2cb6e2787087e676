// `xenolith run` with a Xen PV kernel: recognised by its notes, --mode overrides, --cmdline fills
// start_info.cmd_line, --memory sets nr_pages (needs `npm run build`).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { buildPvKernel, standardNotes } from "../helpers/pv-kernel.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const xenolith = (...args: string[]) =>
  spawnSync("node", [path.join(root, "bin/xenolith.mjs"), "run", ...args], { encoding: "utf8", timeout: 60_000 });

/** prints start_info.cmd_line, then nr_pages as 8 hex digits, then powers off */
const code = `
  mov %esi, %ebp
  lea 80(%ebp), %edx
  xor %ecx, %ecx
1: cmpb $0, (%edx,%ecx)
  je 2f
  inc %ecx
  jmp 1b
2: mov $0, %ebx
  call hypercall_page + 18 * 32
  mov 32(%ebp), %eax            # start_info.nr_pages
  mov $hexbuf + 8, %edi
  mov $8, %ecx
3: dec %edi
  mov %eax, %edx
  and $15, %edx
  movb digits(%edx), %dl
  movb %dl, (%edi)
  shr $4, %eax
  loop 3b
  mov $0, %ebx
  mov $9, %ecx
  mov $hexbuf, %edx
  call hypercall_page + 18 * 32
  mov $2, %ebx
  mov $reason, %ecx
  call hypercall_page + 29 * 32
`;
const data = `digits: .ascii "0123456789abcdef"\nhexbuf: .ascii "00000000\\n"\nreason: .long 0\n`;

let dir: string;
beforeAll(() => { dir = mkdtempSync(path.join(tmpdir(), "xenolith-pvcli-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const pae of [true, false]) {
  describe(`xenolith run: a PV kernel (${pae ? "PAE" : "classic"})`, () => {
    const kernel = () => {
      const f = path.join(dir, `pv-${pae}.elf`);
      writeFileSync(f, buildPvKernel({ code, data, notes: standardNotes({ pae }) }));
      return f;
    };

    it("is recognised by its notes; --cmdline and --memory reach start_info; poweroff is status 0", () => {
      const r = xenolith(kernel(), "--cmdline", "hi there", "--memory", "12");
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`hi there${(12 * 256).toString(16).padStart(8, "0")}\n`);
      expect(r.status).toBe(0);
    });

    it("--mode bare treats it as a multiboot kernel (it has no multiboot header: status 2)", () => {
      const r = xenolith(kernel(), "--mode", "bare");
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/no multiboot header/);
    });

    it("--stats --json adds the hypervisor's counts", () => {
      const r = xenolith(kernel(), "--json");
      expect(r.status).toBe(0);
      const j = JSON.parse(r.stderr);
      expect(j.outcome).toMatchObject({ kind: "shutdown", reason: "poweroff" });
      expect(j.hypervisor).toMatchObject({ hypervisorEntries: 3, hypercalls: { console_io: 2, sched_op: 1 } });
    });
  });
}

describe("xenolith run --mode pv: bad input is one line and status 2", () => {
  it("a kernel without Xen notes", () => {
    const f = path.join(dir, "plain.elf");
    writeFileSync(f, buildPvKernel({ code: "ud2" }));
    const r = xenolith(f, "--mode", "pv");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^xenolith: .*plain\.elf: not a Xen PV kernel: no Xen ELF notes and no __xen_guest section\n$/);
  });
  it("too little memory for the initial mappings, too much for the machine", () => {
    const f = path.join(dir, "pv.elf");
    writeFileSync(f, buildPvKernel({ code: "ud2", notes: standardNotes({ pae: true }) }));
    expect(xenolith(f, "--memory", "2")).toMatchObject({ status: 2, stderr: expect.stringMatching(/cannot hold the initial mappings/) });
    expect(xenolith(f, "--memory", "1000")).toMatchObject({ status: 2, stderr: expect.stringMatching(/at most 908 MiB/) });
  });
});
