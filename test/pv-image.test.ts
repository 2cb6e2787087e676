// A PV kernel end to end: built by the domain builder, run by the hypervisor, talking through the
// hypercall page. Both layouts.
import { describe, it, expect } from "vitest";
import { runPvImage } from "../src/pv-image.ts";
import { buildPvKernel, standardNotes } from "./helpers/pv-kernel.ts";

/** prints "hello: <cmdline>\n" with console_io, then shuts down with `reason` */
const hello = (reason: number) => `
  mov %esi, %ebp
  mov $0, %ebx                        # CONSOLEIO_write
  mov $7, %ecx
  mov $greeting, %edx
  call hypercall_page + 18 * 32
  lea 80(%ebp), %edx                  # start_info.cmd_line
  xor %ecx, %ecx
1: cmpb $0, (%edx,%ecx)
  je 2f
  inc %ecx
  jmp 1b
2: mov $0, %ebx
  call hypercall_page + 18 * 32
  mov $0, %ebx
  mov $1, %ecx
  mov $newline, %edx
  call hypercall_page + 18 * 32
  movl $${reason}, reason
  mov $2, %ebx                        # SCHEDOP_shutdown
  mov $reason, %ecx
  call hypercall_page + 29 * 32
  ud2
`;
const data = `greeting: .ascii "hello: "\nnewline: .ascii "\\n"\nreason: .long 0\n`;

for (const pae of [true, false]) {
  describe(`PV kernels run on the hypervisor, ${pae ? "PAE" : "classic"} layout`, () => {
    const image = (code: string) => buildPvKernel({ code, data, notes: standardNotes({ pae }) });

    it("prints through console_io and powers off: status 0", () => {
      const r = runPvImage(image(hello(0)), { memoryMiB: 8, cmdline: "from start_info" });
      expect(r.output).toBe("hello: from start_info\n");
      expect(r.result).toMatchObject({ kind: "shutdown", reason: "poweroff" });
      expect(r.status).toBe(0);
      expect(r.message).toBeUndefined();
      expect(r.stats.hypervisor).toMatchObject({ hypercalls: { console_io: 3, sched_op: 1 } });
    });

    it("a crash shutdown is status 1, reboot 17", () => {
      expect(runPvImage(image(hello(3)), { memoryMiB: 8 })).toMatchObject({ status: 1, message: expect.stringMatching(/domain shut down \(crash\) at EIP/) });
      expect(runPvImage(image(hello(1)), { memoryMiB: 8 }).status).toBe(17);
    });

    it("a fault with no trap table kills the domain: status 1 with EIP and reason", () => {
      const r = runPvImage(image("ud2"), { memoryMiB: 8 });
      expect(r.result.kind).toBe("killed");
      expect(r.status).toBe(1);
      expect(r.message).toMatch(/^domain killed at EIP 0x0: /);
    });

    it("stops at the instruction limit: status 3", () => {
      const r = runPvImage(image("1: jmp 1b"), { memoryMiB: 8, maxInsns: 1000 });
      expect(r.status).toBe(3);
      expect(r.stats.instructions).toBe(1000);
    });
  });
}
