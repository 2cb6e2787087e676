// Stores into decoded code that change only constants (assembly/mmu/patch.ts): the records are
// patched in place instead of the page being decoded again. Every case runs under the interpreter
// and with translation (threshold 0 and 2), which must agree; the expected values are what the
// CPU computes with the bytes as stored (SDM Vol. 3, 11.6: a store into code is seen by the next
// instruction fetched from it). Stores that touch anything but an immediate or displacement
// (opcode, prefix, ModRM, two fields at once, a page boundary) invalidate as before.
import { describe, it, expect } from "vitest";
import { flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { expectEnginesAgree } from "../helpers/engines.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";

function program(source: string): () => Machine {
  const code = assemble(source + "\nhlt\n", 0x1000);
  return () => {
    const m = flatMachine(1 << 20);
    m.writePhys(0x1000, code);
    m.eip = 0x1000;
    return m;
  };
}

const patches = (m: Machine) => m.u64Field(L.S_CODE_PATCHES);
const invalidated = (m: Machine) => m.u64Field(L.S_BLOCKS_INVALIDATED);

describe("stores into immediates and displacements patch records", () => {
  it("imm32 of the next instruction, every pass of a loop", () => {
    const { m } = expectEnginesAgree(program(`
        mov $300, %ecx
      1: mov %ecx, 2f+1
      2: add $0x12345678, %eax  # 05 id
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(300 * 301 / 2);
    expect(patches(m)).toBe(300n);
    expect(invalidated(m)).toBe(0n);
  });

  it("imm8 sign-extended (83 /0 ib) and zero-extended (B0 ib), written a byte at a time", () => {
    const { m } = expectEnginesAgree(program(`
        movb $0xff, 2f+2
        movb $0x80, 3f+1
      2: add $1, %ebx      # 83 c3 01 -> 83 c3 ff: adds -1
      3: mov $5, %al       # b0 05 -> b0 80
        movb $0x85, 4f+1
      4: push $1           # 6a 01 -> 6a 85: pushes 0xffffff85
        pop %edx`));
    expect(m.reg("ebx")).toBe(0xffffffff);
    expect(m.reg("eax") & 0xff).toBe(0x80);
    expect(m.reg("edx")).toBe(0xffffff85);
    expect(patches(m)).toBe(3n);
    expect(invalidated(m)).toBe(0n);
  });

  it("imm16 under an operand-size prefix, and two bytes inside an imm32", () => {
    const { m } = expectEnginesAgree(program(`
        movw $0x1234, 2f+3
      2: addw $0x1111, %cx  # 66 81 c1 iw
        movw $0xbeef, 3f+3
      3: mov $0x11111111, %edx`));
    expect(m.reg("ecx") & 0xffff).toBe(0x1234 + 0);
    expect(m.reg("edx")).toBe(0xbeef1111);
  });

  it("disp8 (sign-extended) and disp32 of memory operands", () => {
    const { m } = expectEnginesAgree(program(`
        mov $0x20000, %esi
        movl $7, 0x1fffc
        movl $9, 0x30000
        movb $0xfc, 2f+2
      2: mov 4(%esi), %eax      # 8b 46 04 -> 8b 46 fc: reads 0x1fffc
        movl $0x30000, 3f+2
      3: mov 0x40000, %ebx      # 8b 1d disp32 -> reads 0x30000`));
    expect(m.reg("eax")).toBe(7);
    expect(m.reg("ebx")).toBe(9);
    expect(patches(m)).toBe(2n);
  });

  it("an imm32 that straddles two 16-byte chunks", () => {
    // the add's opcode sits at chunk offset 14, so its imm32 covers the last byte of one chunk
    // and three of the next
    const { m } = expectEnginesAgree(program(`
        mov $50, %ecx
        jmp 1f
        .p2align 4
        .fill 8, 1, 0x90
      1: mov %ecx, 2f+1
      2: add $0x12345678, %eax  # 05 id: opcode at chunk offset 14
        dec %ecx
        jnz 1b`));
    expect(m.reg("eax")).toBe(50 * 51 / 2);
    expect(patches(m)).toBe(50n);
  });
});

describe("stores over other bytes of an instruction still invalidate", () => {
  it("the opcode byte: inc becomes dec", () => {
    const { m } = expectEnginesAgree(program(`
        movb $0x48, 2f
      2: inc %eax`));
    expect(m.reg("eax")).toBe(0xffffffff);
    expect(invalidated(m)).toBe(1n);
  });

  it("a prefix byte: 66 05 iw becomes nop; add $imm32 (lengths change)", () => {
    const { m } = expectEnginesAgree(program(`
        movb $0x90, 2f
      2: .byte 0x66, 0x05, 0x01, 0x00  # add $1, %ax -> nop; add $imm32 over the next bytes
        .byte 0x02, 0x00
        nop`));
    expect(m.reg("eax")).toBe(0x20001);
    expect(invalidated(m)).toBe(1n);
  });

  it("the ModRM byte: mov %eax, %ebx becomes mov %eax, %ecx", () => {
    const { m } = expectEnginesAgree(program(`
        mov $42, %eax
        movb $0xc1, 2f+1
      2: mov %eax, %ebx     # 89 c3 -> 89 c1`));
    expect(m.reg("ecx")).toBe(42);
    expect(m.reg("ebx")).toBe(0);
    expect(invalidated(m)).toBe(1n);
  });

  it("a store covering an immediate and the next instruction's opcode", () => {
    const { m } = expectEnginesAgree(program(`
        movw $0x4000, 2f+4   # last imm byte := 0x00, next opcode inc %ecx := 0x40 (inc %eax)
      2: mov $0x01020304, %edx
        inc %ecx`));
    expect(m.reg("edx")).toBe(0x00020304);
    expect(m.reg("eax")).toBe(1);
    expect(m.reg("ecx")).toBe(0);
    expect(invalidated(m)).toBe(1n);
  });

  it("a store covering a displacement and an immediate of one instruction", () => {
    const { m } = expectEnginesAgree(program(`
        movw $0x0708, 2f+2   # disp8 := 8, imm32 low byte := 7
      2: movl $0x11111100, 4(%esi)`, ));
    expect(m.readPhys(8, 4)).toEqual(new Uint8Array([7, 0x11, 0x11, 0x11]));
    expect(invalidated(m)).toBe(1n);
  });

  it("an immediate in a loop that is translated and patched (translation reads the record)", () => {
    const { m, translated } = expectEnginesAgree(program(`
        mov $2000, %ecx
      1: mov %ecx, %edx
        and $3, %edx
        mov %edx, 2f+1
      2: add $0x12345678, %eax
        shl $1, %ebx
        dec %ecx
        jnz 1b`));
    let sum = 0;
    for (let c = 2000; c >= 1; c--) sum = (sum + (c & 3)) >>> 0;
    expect(m.reg("eax")).toBe(sum);
    expect(patches(m)).toBe(2000n);
    expect(translated[1].translator!.stats.blocks).toBeGreaterThan(0);
  });
});
