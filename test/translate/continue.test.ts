// A translation goes on after records run in the core (src/translate/codegen.ts stepRun): after a
// record that ends its block and falls through (INVLPG, MOV to CR0/CR3, POPF, STI, MOV SS, LSS, …)
// at the next block of its region — by toBlock's checks, else by the core's jitNextBlock (the run
// loop's checks, findBlock with the TLB fetch, block entry) — and after an inlined record whose
// fast path failed (a TLB miss) with the rest of its block. Each program runs translated
// (thresholds 0 and 2) and interpreted, also stopped by budgets in many places; registers, flags,
// EIP, retired instructions, TLB/block/exit counters and exceptions must agree.
import { describe, it, expect } from "vitest";
import { expectEnginesAgree } from "../helpers/engines.ts";
import { flatProgram, protProgram, identityPaging } from "../helpers/programs.ts";
import { setGdt, segDesc, SPARE, KDATA, ACC_DATA0 } from "../helpers/desc.ts";
import { L } from "../../src/core/layout.gen.ts";

/** identity-map the first 4 MiB (2-level paging) and turn paging on */
const paged = identityPaging();

const SLICES = { slices: [1n, 2n, 3n, 5n, 7n, 13n, 100n], maxInsns: 5000n };

describe("translations go on after records run in the core", () => {
  it("INVLPG, a CR3 reload and a load that walks, in a loop (the fetch after the flush walks too)", () => {
    const { m, translated } = expectEnginesAgree(flatProgram(`
        mov $0x20000, %esi
        mov $300, %ecx
      1: invlpg (%esi)
        mov %cr3, %eax
        mov %eax, %cr3
        add (%esi), %ebx
        inc %ebx
        dec %ecx
        jnz 1b`, paged));
    expect(m.reg("ebx")).toBe(300);
    expect(translated[0].translator!.stats.loops).toBeGreaterThan(0);
  });

  it("the same loop stopped by budgets inside and between its blocks", () => {
    expectEnginesAgree(flatProgram(`
        mov $0x20000, %esi
        mov $200, %ecx
      1: invlpg (%esi)
        mov %cr3, %eax
        mov %eax, %cr3
        add (%esi), %ebx
        inc %ebx
        dec %ecx
        jnz 1b`, paged), SLICES);
  });

  it("paging turned off and on again by MOV to CR0 inside a loop", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $0x20000, %esi
        mov $200, %ecx
        mov %cr0, %edx
        mov %edx, %edi
        and $0x7fffffff, %edi
      1: mov %edi, %cr0
        add (%esi), %ebx
        mov %edx, %cr0
        add $1, %ebx
        dec %ecx
        jnz 1b`, paged), SLICES);
    expect(m.reg("ecx")).toBe(0);
  });

  it("a page fault on the load right after a CR3 reload: precise EIP and count", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $0x20000, %esi
        mov $0x81000 + 4 * 0x20, %edi
        mov $50, %ecx
      1: mov %cr3, %eax
        mov %eax, %cr3
        add (%esi), %ebx
        dec %ecx
        jnz 2f
        andl $~1, (%edi)
      2: test %ecx, %ecx
        jns 1b`, (m) => { paged(m); m.setField(L.S_EXC_POLICY, 0); }));
    expect(m.field(L.S_EXC_VECTOR)).toBe(14);
    expect(m.field(L.S_CR2)).toBe(0x20000);
  });

  it("POPF that sets IF with an interrupt waiting: it is taken after the POPF, not later", () => {
    const { exits, m } = expectEnginesAgree(flatProgram(`
        mov $400, %ecx
        pushf
        pop %edx
        mov %edx, %edi
        or $0x200, %edi
      1: push %edx
        popf
        inc %eax
        dec %ecx
        jz 2f
        cmp $300, %ecx
        jne 1b
        push %edi
        popf
        inc %ebx
        jmp 1b
      2:`, (m) => m.setField(L.S_INTR_PENDING, 1)), SLICES);
    expect(exits.at(-1)).toBe("INTERRUPT");
    expect(m.reg("ecx")).toBe(300);
    expect(m.reg("ebx")).toBe(0);
  });

  it("STI with an interrupt waiting, in a region with no other record run in the core", () => {
    // (without memory accesses nothing else makes toBlock check for what a core record changed)
    const { exits, m } = expectEnginesAgree(flatProgram(`
        mov $300, %ecx
      1: inc %eax
        cmp $200, %ecx
        jne 2f
        sti
      2: dec %ecx
        jnz 1b`, (m) => m.setField(L.S_INTR_PENDING, 1)));
    expect(exits.at(-1)).toBe("INTERRUPT");
    expect(m.reg("ecx")).toBe(199); // after the STI and the one instruction it shadows
  });

  it("MOV SS (an interrupt shadow) and LSS inside a loop, with an interrupt waiting and IF = 1", () => {
    const stack = SPARE;
    const { exits } = expectEnginesAgree(protProgram(`
        mov $0x3000, %edi
        movl $0x7000, (%edi)
        movl $${stack}, 4(%edi)
        mov $${KDATA}, %edx
        mov $100, %ecx
      1: mov %dx, %ss
        push %ecx
        pop %eax
        lss (%edi), %esp
        push %ecx
        pop %eax
        dec %ecx
        jnz 1b
        sti
        mov %dx, %ss
        inc %ebx
        inc %ebx`, (m) => { setGdt(m, stack, segDesc(0x30000, 0xffff, ACC_DATA0 | 1, 0x4)); m.setField(L.S_INTR_PENDING, 1); }), SLICES);
    expect(exits.at(-1)).toBe("INTERRUPT");
  });
});
