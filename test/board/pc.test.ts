// The bare PC through the library API (src/index.ts): output, exit status, outcomes, statistics,
// virtual time, tracing.
import { describe, it, expect } from "vitest";
import { runImage, Machine, BadImageError, PC } from "../../src/index.ts";
import { assembleElf } from "../helpers/kernel.ts";

const COM1 = (c: string) => `mov $0x3f8, %dx; mov $${c.charCodeAt(0)}, %al; out %al, %dx`;
const EXIT = (v: number) => `mov $0xf4, %dx; mov $${v}, %al; out %al, %dx`;

describe("runImage", () => {
  it("returns the guest's output, exit status and statistics", () => {
    const r = runImage(assembleElf(`${COM1("o")}\n${COM1("k")}\n${EXIT(0x10)}`), { name: "ok.elf" });
    expect(r.output).toBe("ok");
    expect(r.outcome).toEqual({ kind: "exit", value: 0x10, status: 33 });
    expect(r.status).toBe(33);
    expect(r.message).toBeUndefined();
    expect(r.stats.instructions).toBe(9);
    expect(r.stats.exits.IO).toBe(3);
    expect(r.stats.exits.SHUTDOWN).toBeUndefined(); // the exit port stops the run on the host side
  });

  it("streams output to a sink as it is produced", () => {
    const chunks: string[] = [];
    runImage(assembleElf(`${COM1("a")}\n${COM1("\n")}\n${COM1("b")}\n${EXIT(0)}`), { sink: (b) => chunks.push(Buffer.from(b).toString()) });
    expect(chunks).toEqual(["a\n", "b"]);
  });

  it("reports halts, the instruction limit and unimplemented instructions as outcomes", () => {
    expect(runImage(assembleElf("cli\nhlt")).outcome).toMatchObject({ kind: "halted", interruptsEnabled: false });
    // IF = 1 but no timer is running: nothing can wake the CPU
    const woke = runImage(assembleElf("sti\nhlt"));
    expect(woke.outcome).toMatchObject({ kind: "halted", interruptsEnabled: true });
    expect(woke.status).toBe(0);
    const loop = runImage(assembleElf("1: jmp 1b"), { maxInsns: 12345 });
    expect(loop.outcome.kind).toBe("max-insns");
    expect(loop.status).toBe(3);
    expect(loop.stats.instructions).toBe(12345);
    const fpu = runImage(assembleElf("rdpmc")); // valid at CPL 0, not implemented
    expect(fpu.outcome).toMatchObject({ kind: "internal", message: expect.stringMatching(/^instruction \w+ is not implemented$/) });
    expect(fpu.status).toBe(1);
    expect(fpu.message).toMatch(/^internal error at guest EIP 0x0010/);
  });

  it("a triple fault ends the run as a reported crash", () => {
    // an empty IDT: #UD cannot be delivered (#GP), nor can #GP (#DF), nor #DF: shutdown
    const r = runImage(assembleElf("lidt idtr\nud2\nidtr: .word 0\n.long 0"));
    expect(r.outcome).toMatchObject({ kind: "triple-fault" });
    expect(r.status).toBe(1);
    expect(r.message).toMatch(/^triple fault at EIP 0x0010/);
  });

  it("throws BadImageError for bad input only", () => {
    expect(() => runImage("/no/such/kernel")).toThrow(BadImageError);
    expect(() => runImage(new Uint8Array(100))).toThrow(/no multiboot header/);
  });

  it("traces each instruction with its registers", () => {
    const lines: string[] = [];
    runImage(assembleElf(`mov $7, %ebx\n${EXIT(1)}`), { trace: 3, traceOut: (l) => lines.push(l) });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^#0 0008:0010000c  bb 07 00 00 00 +mov +\$7,%ebx +eax=2badb002 .* ebx=0000[0-9a-f]{4} /);
    expect(lines[1]).toMatch(/^#1 0008:00100011  66 ba f4 00 +mov +\$0xf4,%dx .* ebx=00000007 /);
  });

  it("is deterministic: the same image gives the same run", () => {
    const img = assembleElf(`mov $1000, %ecx\n1: add %ecx, %eax\nloop 1b\n${EXIT(3)}`);
    const a = runImage(img), b = runImage(img);
    expect(a.stats.instructions).toBe(b.stats.instructions);
    expect(a.status).toBe(7);
  });
});

const hasInterrupts = typeof (Machine.prototype as unknown as { raiseInterrupt?: unknown }).raiseInterrupt === "function";

describe.skipIf(!hasInterrupts)("timer interrupts (PIT → 8259A → IDT)", () => {
  // Program the PICs (vectors 0x20/0x28), an IDT gate for vector 0x20 whose handler counts ticks
  // and sends EOI, the PIT at 1000 Hz (mode 2, count 1193), then wait in HLT for 5 ticks.
  const kernel = assembleElf(`
    lgdt gdtr                      # CS 0x08 and data 0x10 as the loader set them; IRET reloads CS
    mov $0x90000, %esp
    mov $tick, %eax
    mov %ax, idt + 0x20 * 8
    shr $16, %eax
    mov %ax, idt + 0x20 * 8 + 6
    movw $0x08, idt + 0x20 * 8 + 2
    movw $0x8e00, idt + 0x20 * 8 + 4
    lidt idtr
    mov $0x11, %al; out %al, $0x20; mov $0x20, %al; out %al, $0x21; mov $4, %al; out %al, $0x21; mov $1, %al; out %al, $0x21
    mov $0x11, %al; out %al, $0xa0; mov $0x28, %al; out %al, $0xa1; mov $2, %al; out %al, $0xa1; mov $1, %al; out %al, $0xa1
    mov $0xfe, %al; out %al, $0x21; mov $0xff, %al; out %al, $0xa1
    mov $0x34, %al; out %al, $0x43; mov $0xa9, %al; out %al, $0x40; mov $0x04, %al; out %al, $0x40
    sti
    2: hlt
    3: cmpl $5, ticks
    jb 2b
    cli
    mov ticks, %eax
    out %al, $0xf4
    # the handler drops its frame (EIP, CS, EFLAGS) and goes back to the HLT loop with IF = 1
    tick: incl ticks
    mov $0x20, %al; out %al, $0x20
    add $12, %esp
    sti
    jmp 3b
    .data
    .p2align 3
    gdt: .quad 0, 0x00CF9A000000FFFF, 0x00CF92000000FFFF
    gdtr: .word 23; .long gdt
    idtr: .word 0x30 * 8 - 1; .long idt
    ticks: .long 0
    .bss
    .p2align 3
    idt: .space 0x30 * 8`);

  it("HLT waits for the next tick in virtual time; five ticks take five milliseconds of it", () => {
    const pc = new PC();
    pc.load(kernel);
    const outcome = pc.run({ maxInsns: 10_000_000n });
    expect(outcome).toEqual({ kind: "exit", value: 5, status: 11 });
    // 1193 PIT ticks ≈ 1 ms = 100 000 instructions of virtual time each; the guest ran few of them
    expect(pc.clock).toBeGreaterThanOrEqual(5n * 99_900n);
    expect(pc.clock).toBeLessThan(6n * 100_000n);
    expect(pc.machine.instructions).toBeLessThan(1000n);
    expect(pc.stats().exits.INTERRUPT).toBe(5);
  });
});
