// Stores in translations of self-modifying code (a page whose constants were patched: codegen.ts
// plan(), codegen-mem.ts writeOperandCode): MOV stores are inlined with a fast path that sends a
// store into a page with decoded code through the core's jitCodeStore, which patches the records
// and lets the block go on; every store it cannot do that way (opcodes, two pages, a fault) runs
// in the core as in the interpreter. The loops run long enough to be translated again after their
// first patch (then with the constants read from the records). Interpreter and translation
// (threshold 0 and 2) must agree on everything (test/helpers/engines.ts); the values are what the
// CPU computes with the bytes as stored (SDM Vol. 3, 11.6).
import { describe, it, expect } from "vitest";
import { FLAT_DATA32 } from "../helpers/flat.ts";
import { expectEnginesAgree } from "../helpers/engines.ts";
import { flatProgram, identityPaging } from "../helpers/programs.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";

const patches = (m: Machine) => m.u64Field(L.S_CODE_PATCHES);
const invalidated = (m: Machine) => m.u64Field(L.S_BLOCKS_INVALIDATED);
const sum = (from: number, to: number) => ((from + to) * (from - to + 1)) / 2;

describe("stores in translations of self-modifying code", () => {
  it("mov reg and mov imm into the imm32 of the next instruction, the block goes on", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $300, %ecx
      1: mov %ecx, 2f+1
        movl $5, 3f+1
      2: .byte 0x05          # add $imm32, %eax
        .long 0
      3: .byte 0xbb          # mov $imm32, %ebx
        .long 0
        add %ebx, %esi
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(sum(300, 1));
    expect(m.reg("esi")).toBe(1500);
    expect(patches(m)).toBe(600n);
    expect(invalidated(m)).toBe(0n);
  });

  it("into a block of the same region that is not the storing block", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $200, %ecx
      1: mov %ecx, 3f+1
        test $1, %ecx
        jz 2f
        inc %ebx
      2: mov %ecx, %edx
      3: .byte 0x05          # add $imm32, %eax: in the block at 2, a branch target
        .long 0
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(sum(200, 1));
    expect(m.reg("ebx")).toBe(100);
    expect(invalidated(m)).toBe(0n);
  });

  it("data beside the code on its page: a plain store, and the block goes on", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $200, %ecx
      1: mov %ecx, 2f+1
      2: .byte 0x05
        .long 0
        mov %eax, 8f
        movl $3, 8f+4
        dec %ecx
        jnz 1b
        mov 8f, %ebx
        mov 8f+4, %edx
        hlt
        .p2align 4
        .fill 16, 1, 0xf4
      8: .long 0, 0`));
    expect(m.reg("ebx")).toBe(sum(200, 1));
    expect(m.reg("edx")).toBe(3);
    expect(patches(m)).toBe(200n);
    expect(invalidated(m)).toBe(0n);
  });

  it("a store over opcodes of the same block invalidates and the block stops there", () => {
    // at ECX = 10 the four INC EBX after the store become NOPs
    const { m } = expectEnginesAgree(flatProgram(`
        mov $60, %ecx
      1: mov %ecx, 2f+1
      2: .byte 0x05
        .long 0
        cmp $10, %ecx
        jne 3f
        movl $0x90909090, 3f
      3: inc %ebx
        inc %ebx
        inc %ebx
        inc %ebx
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(sum(60, 1));
    expect(m.reg("ebx")).toBe(4 * 50);
    expect(invalidated(m)).toBe(1n);
  });

  it("a mov reg store over an opcode (the store's value decides which)", () => {
    // the store writes ECX's low byte over the opcode of INC EBX (0x43) until ECX = 0x4b (DEC EBX)
    const { m } = expectEnginesAgree(flatProgram(`
        mov $0x60, %ecx
      1: mov %ecx, 2f+1
      2: .byte 0x05
        .long 0
        cmp $0x4b, %ecx
        jne 3f
        movl $0x4b4b4b4b, %edx
        mov %edx, 3f
      3: inc %ebx
        inc %ebx
        inc %ebx
        inc %ebx
        dec %ecx
        jnz 1b`));
    expect(m.reg("ebx")).toBe((4 * (0x60 - 0x4b) - 4 * 0x4b) >>> 0);
    expect(invalidated(m)).toBe(1n);
  });

  it("1- and 2-byte stores into constants (run in the core) beside an inlined 4-byte one", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $300, %ecx
      1: mov %ecx, 2f+1
        movb %cl, 3f+2
        movw %cx, 4f+3
      2: .byte 0x05
        .long 0
      3: add $0, %bl          # 80 c3 ib
      4: add $0x1111, %si     # 66 81 c6 iw
        dec %ecx
        jnz 1b`));
    let bl = 0, si = 0;
    for (let c = 300; c >= 1; c--) { bl = (bl + (c & 0xff)) & 0xff; si = (si + c) & 0xffff; }
    expect(m.reg("eax")).toBe(sum(300, 1));
    expect(m.reg("ebx") & 0xff).toBe(bl);
    expect(m.reg("esi") & 0xffff).toBe(si);
    expect(patches(m)).toBe(900n);
  });

  it("a store straddling two pages, the first with code: invalidates, exactly", () => {
    // the function at the end of the first code page has its imm32 in the last 4 bytes; at
    // ECX = 5 the loop stores 4 bytes two bytes before the page end (2 of them the imm32's last,
    // 2 on the next page)
    const { m } = expectEnginesAgree(flatProgram(`
        mov $100, %ecx
        mov $0x1ffb, %edi
      1: mov %ecx, 2f+1
      2: .byte 0x05
        .long 0
        cmp $5, %ecx
        jne 3f
        movl $0x90900000, 0x1ffe
      3: call *%edi
        dec %ecx
        jnz 1b
        mov 0x2000, %edx
        hlt
        .org 0xffb
        .byte 0xbe            # mov $imm32, %esi at 0x1ffb: its imm32 is 0x1ffc .. 0x1fff
        .long 0x01010101
        .byte 0x01, 0xf3      # add %esi, %ebx at 0x2000 (the store makes it two NOPs)
        ret`));
    expect(m.reg("eax")).toBe(sum(100, 1));
    expect(m.reg("ebx")).toBe(Math.imul(95, 0x01010101) >>> 0);
    expect(m.reg("edx")).toBe(0xf4c39090); // nop, nop, ret, and the hlt after it
    expect(invalidated(m)).toBeGreaterThanOrEqual(1n);
  });

  it("a store that faults (#PF on a page not present) from the same block as patches", () => {
    // EDI points at a present page until ECX = 7, then at one not present
    const { m, exits } = expectEnginesAgree(flatProgram(`
        mov $100, %ecx
        mov $0x5000, %edi
      1: mov %ecx, 2f+1
        mov %ecx, (%edi)
      2: .byte 0x05
        .long 0
        cmp $7, %ecx
        jne 3f
        mov $0x6000, %edi
      3: dec %ecx
        jnz 1b`, identityPaging([6])));
    expect(exits).toEqual(["EXCEPTION"]);
    expect(m.field(L.S_EXC_VECTOR)).toBe(14);
    expect(m.field(L.S_CR2)).toBe(0x6000);
    expect(m.reg("ecx")).toBe(6);
    expect(m.reg("eax")).toBe(sum(100, 7));
  });

  it("a store that faults (#GP, beyond the DS limit) after patches in the same block", () => {
    const { m, exits } = expectEnginesAgree(flatProgram(`
        mov $100, %ecx
        xor %ebx, %ebx
      1: mov %ecx, 2f+1(%ebx)
      2: .byte 0x05
        .long 0
        cmp $7, %ecx
        jne 3f
        mov $0x10000, %ebx
      3: dec %ecx
        jnz 1b`, (m) => m.setSegment(3, 0x10, 0, 0xffff, FLAT_DATA32 & ~0x8000)));
    expect(exits).toEqual(["EXCEPTION"]);
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.reg("ecx")).toBe(6);
    expect(m.reg("eax")).toBe(sum(100, 7));
  });
});

describe("read-modify-write stores in translations of self-modifying code", () => {
  const rmwLoop = (xorAt: string, orAt: string) => flatProgram(`
        mov $300, %ecx
        movl $0xfffffff0, 2f+1
      1: addl $3, 2f+1
        adc $0, %edi
        subl %ecx, 3f+1
        setc %dl
        add %edx, %esi
        xorl $0x55, ${xorAt}
        orl %ecx, ${orAt}
        andl $0xfff0ffff, ${orAt}
        sets %dl
        add %edx, %ebp
      2: .byte 0x05          # add $imm32, %eax
        .long 0
      3: .byte 0xbb          # mov $imm32, %ebx
        .long 0
      4: .byte 0x81, 0xf3    # xor $imm32, %ebx
        .long 0
      5: .byte 0x81, 0xc3    # add $imm32, %ebx
        .long 0
        add %ebx, %esp
        sub %ebx, %esp
        dec %ecx
        jnz 1b`);

  it("ADD/SUB/XOR/OR/AND to imm32s of the region, flags from the memory operand", () => {
    // the flags of each read-modify-write are read (ADC, SETcc) before anything else sets them;
    // the offsets are misaligned (readForWrite counts one TLB hit more than an aligned access)
    const { m } = expectEnginesAgree(rmwLoop("4f+2", "5f+2"));
    expect(invalidated(m)).toBe(0n);
    expect(patches(m)).toBe(1n + 5n * 300n);
  });

  it("the same over ModRM bytes: XOR makes the next instruction AND to memory at ESI every other pass", () => {
    // 81 f3 (xor $imm32, %ebx) ^ 0x55 = 81 a6: and $imm32, disp32(%esi), over the next bytes
    const { m } = expectEnginesAgree(rmwLoop("4f+1", "5f+1"));
    expect(invalidated(m)).toBeGreaterThan(300n);
  });

  it("a read-modify-write over an opcode of the same block invalidates, exactly", () => {
    // at ECX = 10, XOR turns the four INC EBX (0x43) into DEC EBX (0x4b)
    const { m } = expectEnginesAgree(flatProgram(`
        mov $60, %ecx
      1: addl $1, 2f+1
      2: .byte 0x05
        .long 0
        cmp $10, %ecx
        jne 3f
        xorl $0x08080808, 3f
      3: inc %ebx
        inc %ebx
        inc %ebx
        inc %ebx
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(sum(60, 1));
    expect(m.reg("ebx")).toBe((4 * 50 - 4 * 10) >>> 0);
    expect(invalidated(m)).toBe(1n);
  });

  it("a read-modify-write that faults (#PF) after patches in the same block", () => {
    const { m, exits } = expectEnginesAgree(flatProgram(`
        mov $100, %ecx
        mov $0x5000, %edi
      1: addl $1, 2f+1
        addl %ecx, (%edi)
      2: .byte 0x05
        .long 0
        cmp $7, %ecx
        jne 3f
        mov $0x6000, %edi
      3: dec %ecx
        jnz 1b`, identityPaging([6])));
    expect(exits).toEqual(["EXCEPTION"]);
    expect(m.field(L.S_EXC_VECTOR)).toBe(14);
    expect(m.field(L.S_CR2)).toBe(0x6000);
    expect(m.field(L.S_EXC_CODE)).toBe(2); // a write, not present, supervisor
    expect(m.reg("ecx")).toBe(6);
  });
});
