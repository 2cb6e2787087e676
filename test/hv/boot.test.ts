// The hypervisor running kernels made by the domain builder (src/boot/xen-domain.ts), in both
// layouts: a greeting through the console ring and console_io, exceptions with the builder's GDT
// (segment loads through the per-domain mapping), a ring-3 round trip.
import { describe, it, expect } from "vitest";
import { buildPvKernel, standardNotes } from "../helpers/pv-kernel.ts";
import { parsePvKernel } from "../../src/boot/xen-kernel.ts";
import { parseElf32 } from "../../src/boot/elf.ts";
import { bootPvDomain } from "../../src/boot/xen-domain.ts";
import { startPvDomain } from "../../src/boot/xen-run.ts";
import { runDomain } from "../../src/hv/hypervisor.ts";
import { START_INFO, XENCONS } from "../../src/hv/abi.ts";

const VIRT_BASE = 0xc0000000;

function boot(code: string, pae: boolean, data = "") {
  const elf = buildPvKernel({ code, data, base: VIRT_BASE, lmaOffset: VIRT_BASE, notes: standardNotes({ pae, virtBase: VIRT_BASE }), bss: 8192 });
  const { pm, domain } = bootPvDomain(parsePvKernel(elf), { nrPages: 1024 });
  const out: string[] = [];
  const d = startPvDomain(pm, domain, { output: (t) => out.push(t) });
  // .data starts with the helper's kernel_data word, then the test's data
  const dataVa = parseElf32(elf).section(".data")!.addr + 4;
  return { d, out, dataVa, run: () => runDomain(d, 50_000_000n) };
}

/** Guest code: the hypercall page's slots are 32 bytes apart. */
const CALL = (nr: number) => `call hypercall_page + ${nr * 32}`;

for (const pae of [true, false]) {
  const m2p = pae ? 0xf5800000 : 0xfc000000;
  describe(`domain-builder kernels (${pae ? "PAE" : "classic"})`, () => {
    it("prints through console_io and the console ring (found through the M2P), then powers off", () => {
      const t = boot(`
        movl %esi, %ebp                        /* start_info */
        movl $0, %ebx; movl $3, %ecx; movl $greet, %edx
        ${CALL(18)}                            /* console_io write */
        movl ${START_INFO.console_mfn}(%ebp), %eax
        movl ${m2p}(,%eax,4), %edi             /* M2P: mfn -> pfn */
        shll $12, %edi
        addl $${VIRT_BASE}, %edi               /* the ring's virtual address */
        xorl %ecx, %ecx
      1: movb ring_msg(%ecx), %al
        movl ${XENCONS.out_prod}(%edi), %edx
        andl $${XENCONS.out_size - 1}, %edx
        movb %al, ${XENCONS.out}(%edi,%edx)
        incl ${XENCONS.out_prod}(%edi)
        incl %ecx
        cmpl $5, %ecx
        jne 1b
        movl ${START_INFO.console_evtchn}(%ebp), %eax
        movl %eax, port
        movl $4, %ebx; movl $port, %ecx
        ${CALL(32)}                            /* event_channel_op send */
        movl ${XENCONS.out_cons}(%edi), %eax
        movl %eax, reason                      /* 5 once drained: poweroff needs 0 */
        subl $5, reason
        movl $2, %ebx; movl $reason, %ecx
        ${CALL(29)}                            /* sched_op shutdown */
      `, pae, `
        greet: .ascii "hi "
        ring_msg: .ascii "ring\\n"
        port: .long 0
        reason: .long 0
      `);
      expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
      expect(t.out.join("")).toBe("hi ring\n");
    });

    it("a #PF handler sees CR2 in vcpu_info, reloads DS from the builder's GDT, returns by iret", () => {
      const t = boot(`
        movl %esi, %ebp
        movl $shinfo, %ebx                      /* map shared_info over a page of .data */
        movl ${START_INFO.shared_info}(%ebp), %ecx
        orl $0x63, %ecx; xorl %edx, %edx; movl $2, %esi
        ${CALL(14)}                             /* update_va_mapping, UVMF_INVLPG */
        movl %eax, uvm
        movl $traps, %ebx
        ${CALL(0)}                              /* set_trap_table */
        movl $0xe021, %eax
        movl %eax, %ds                          /* through the per-domain GDT mapping */
        movl $0xc0ffe000, %eax
        movl $0x5a5a, %ecx
        movl (%eax), %ecx                       /* unmapped: #PF; the handler skips it */
        movl %ecx, value
        movl $2, %ebx; movl $reason, %ecx
        ${CALL(29)}
      pf:
        movl shinfo + 8, %eax                    /* vcpu_info[0].arch.cr2 */
        movl %eax, cr2
        movl (%esp), %eax
        movl %eax, errcode
        addl $4, %esp                            /* drop the error code */
        addl $2, (%esp)                          /* skip the 2-byte load */
        jmp hypercall_page + 23 * 32             /* iret: the slot pushes EAX itself */
      traps:
        .byte 14, 0
        .word 0xe019
        .long pf
        .long 0, 0
      `, pae, `
        value: .long 0
        errcode: .long 0
        reason: .long 0
        uvm: .long 1
        cr2: .long 0
        .balign 4096
        shinfo: .space 4096
      `);
      expect(t.run()).toMatchObject({ kind: "shutdown", reason: "poweroff" });
      const sym = (off: number) => t.d.mem.readU32(t.dataVa + off);
      expect([sym(0), sym(4), sym(12), sym(16)]).toEqual([0x5a5a, 0, 0, 0xc0ffe000]); // ECX untouched, ec 0 (read, not present, supervisor), uvm 0
      expect(t.d.vcpu.cr2).toBe(0xc0ffe000);
      expect(t.d.stats.bounces.get(14)).toBe(1);
    });
  });
}

describe("the fast system-call path", () => {
  for (const pae of [true, false]) {
    it(`int $0x80 from ring 3 reaches the ring-1 handler with no hypervisor entry (${pae ? "PAE" : "classic"})`, () => {
      // The kernel maps its user page (code + stack) with U, registers vector 0x80 with DPL 3,
      // drops to ring 3 by the iret hypercall; ring 3 makes 100 system calls, each returning by
      // the native iret; the 101st (EAX = 1) makes the kernel shut down.
      const t = boot(`
        movl %esi, %ebp
        movl $traps, %ebx
        ${CALL(0)}                                  /* set_trap_table */
        movl $user_page, %ebx                       /* remap it with U: its mfn from the P2M list */
        movl %ebx, %eax
        subl $${VIRT_BASE}, %eax
        shrl $12, %eax
        movl ${START_INFO.mfn_list}(%ebp), %ecx
        movl (%ecx,%eax,4), %ecx
        shll $12, %ecx
        orl $0x67, %ecx                             /* P RW U A D */
        xorl %edx, %edx; movl $2, %esi
        ${CALL(14)}
        movl %eax, uvm
        pushl $0xe033                               /* iret to ring 3: SS ESP EFLAGS CS EIP */
        pushl $user_page + 4096
        pushl $0x202
        pushl $0xe02b
        pushl $user_code
        jmp hypercall_page + 23 * 32                /* the slot pushes EAX */
      syscall:
        cmpl $1, %eax
        je 1f
        incl %ss:calls
        iret                                        /* native: ring 1 -> ring 3 */
      1: movl $2, %ebx; movl $reason, %ecx
        ${CALL(29)}
      traps:
        .byte 0x80, 3
        .word 0xe019
        .long syscall
        .long 0, 0
      `, pae, `
        calls: .long 0
        reason: .long 0
        uvm: .long 1
        .balign 4096
      user_page:
      user_code:
        movl $100, %ecx
      2: xorl %eax, %eax
        int $0x80
        loop 2b
        movl $1, %eax
        int $0x80
        .balign 4096
      `);
      const r = t.run();
      expect(r).toMatchObject({ kind: "shutdown", reason: "poweroff" });
      expect([t.d.mem.readU32(t.dataVa), t.d.mem.readU32(t.dataVa + 8)]).toEqual([100, 0]);
      // Hypervisor entries: set_trap_table, update_va_mapping, iret, and the final int $0x80's
      // shutdown hypercall — none for the 101 system calls.
      expect(t.d.stats.bounces.size).toBe(0);
      expect(t.d.stats.entries).toBe(4);
    });
  }
});

describe("how a domain ends", () => {
  it("exit statuses: poweroff 0, crash and killed 1", async () => {
    const { exitStatus, describeEnd } = await import("../../src/boot/xen-run.ts");
    expect(exitStatus({ kind: "shutdown", reason: "poweroff", code: 0, eip: 0 })).toBe(0);
    expect(exitStatus({ kind: "shutdown", reason: "crash", code: 3, eip: 0 })).toBe(1);
    expect(exitStatus({ kind: "killed", reason: "no handler for vector 6", eip: 0x1234 })).toBe(1);
    expect(describeEnd({ kind: "killed", reason: "no handler for vector 6", eip: 0x1234 })).toBe("domain killed at EIP 0x1234: no handler for vector 6");
  });
});
