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
import { flatProgram } from "../helpers/programs.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";

const patches = (m: Machine) => m.u64Field(L.S_CODE_PATCHES);
const invalidated = (m: Machine) => m.u64Field(L.S_BLOCKS_INVALIDATED);

describe("stores into immediates and displacements patch records", () => {
  it("imm32 of the next instruction, every pass of a loop", () => {
    const { m } = expectEnginesAgree(flatProgram(`
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
    const { m } = expectEnginesAgree(flatProgram(`
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
    const { m } = expectEnginesAgree(flatProgram(`
        movw $0x1234, 2f+3
      2: addw $0x1111, %cx  # 66 81 c1 iw
        movw $0xbeef, 3f+3
      3: mov $0x11111111, %edx`));
    expect(m.reg("ecx") & 0xffff).toBe(0x1234 + 0);
    expect(m.reg("edx")).toBe(0xbeef1111);
  });

  it("disp8 (sign-extended) and disp32 of memory operands", () => {
    const { m } = expectEnginesAgree(flatProgram(`
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
    const { m } = expectEnginesAgree(flatProgram(`
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
    const { m } = expectEnginesAgree(flatProgram(`
        movb $0x48, 2f
      2: inc %eax`));
    expect(m.reg("eax")).toBe(0xffffffff);
    expect(invalidated(m)).toBe(1n);
  });

  it("a prefix byte: 66 05 iw becomes nop; add $imm32 (lengths change)", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        movb $0x90, 2f
      2: .byte 0x66, 0x05, 0x01, 0x00  # add $1, %ax -> nop; add $imm32 over the next bytes
        .byte 0x02, 0x00
        nop`));
    expect(m.reg("eax")).toBe(0x20001);
    expect(invalidated(m)).toBe(1n);
  });

  it("the ModRM byte: mov %eax, %ebx becomes mov %eax, %ecx", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        mov $42, %eax
        movb $0xc1, 2f+1
      2: mov %eax, %ebx     # 89 c3 -> 89 c1`));
    expect(m.reg("ecx")).toBe(42);
    expect(m.reg("ebx")).toBe(0);
    expect(invalidated(m)).toBe(1n);
  });

  it("a store covering an immediate and the next instruction's opcode", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        movw $0x4000, 2f+4   # last imm byte := 0x00, next opcode inc %ecx := 0x40 (inc %eax)
      2: mov $0x01020304, %edx
        inc %ecx`));
    expect(m.reg("edx")).toBe(0x00020304);
    expect(m.reg("eax")).toBe(1);
    expect(m.reg("ecx")).toBe(0);
    expect(invalidated(m)).toBe(1n);
  });

  it("a store covering a displacement and an immediate of one instruction", () => {
    const { m } = expectEnginesAgree(flatProgram(`
        movw $0x0708, 2f+2   # disp8 := 8, imm32 low byte := 7
      2: movl $0x11111100, 4(%esi)`, ));
    expect(m.readPhys(8, 4)).toEqual(new Uint8Array([7, 0x11, 0x11, 0x11]));
    expect(invalidated(m)).toBe(1n);
  });

  it("an immediate in a loop that is translated and patched (translation reads the record)", () => {
    const { m, translated } = expectEnginesAgree(flatProgram(`
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

// The last patchable store is remembered (PATCH_MEMO_*) so that the same store again skips the
// table scans; the memo must go whenever the code it describes changes.
describe("the remembered patchable store", () => {
  it("1-, 2- and 4-byte stores into the same bytes every pass, the instruction in two blocks", () => {
    // the loop's code is decoded twice (the block that falls into it and the loop's own block),
    // so each store patches two records
    const { m } = expectEnginesAgree(flatProgram(`
        mov $200, %ecx
        xor %ebx, %ebx
      1: movb %cl, 2f+1
        movw %cx, 3f+3
        mov %ecx, 4f+2
      2: mov $0, %al          # b0 ib
      3: add $0x1111, %bx     # 66 81 c3 iw
        movzbl %al, %eax
        add %eax, %esi
      4: .byte 0x81, 0xc7     # add $imm32, %edi
        .long 0
        dec %ecx
        jnz 1b`));
    let bx = 0, si = 0, di = 0;
    for (let c = 200; c >= 1; c--) { bx = (bx + c) & 0xffff; si += c & 0xff; di += c; }
    expect(m.reg("ebx") & 0xffff).toBe(bx);
    expect(m.reg("esi")).toBe(si);
    expect(m.reg("edi")).toBe(di);
    expect(patches(m)).toBe(600n);
    expect(invalidated(m)).toBe(0n);
  });

  it("an instruction in five blocks (more than the memo holds): every record is patched", () => {
    // each entry point decodes a block that ends with the same patched instruction
    const { m } = expectEnginesAgree(flatProgram(`
        mov $30, %ecx
      1: mov %ecx, 2f+1
        mov %ecx, %edx
        and $3, %edx
        call *8f(,%edx,4)
        dec %ecx
        jnz 1b
        jmp 9f
      3: inc %esi
      4: inc %esi
      5: inc %esi
      6: inc %esi
      2: .byte 0x05           # add $imm32, %eax
        .long 0
        ret
        .p2align 2
      8: .long 3b, 4b, 5b, 6b
      9: call 2b`));
    let eax = 0, esi = 0;
    for (let c = 30; c >= 1; c--) { eax += c; esi += 4 - (c & 3); }
    expect(m.reg("eax")).toBe(eax + 1); // the last call adds the last value stored, 1
    expect(m.reg("esi")).toBe(esi);
    expect(invalidated(m)).toBe(0n);
  });

  it("is dropped when code is decoded over the stored bytes: the same store then invalidates", () => {
    // BA 40 40 40 C3 = mov $0xc3404040, %edx; from its second byte: inc %eax x3, ret
    const { m } = expectEnginesAgree(flatProgram(`
        mov $10, %ecx
      1: movb $0x40, 2f+1
      2: mov $0xc3404040, %edx
        dec %ecx
        jnz 1b
        call 2b+1
        movb $0x48, 2b+1      # now the opcode of a decoded instruction: dec %eax
        call 2b+1`));
    expect(m.reg("eax")).toBe(3 + 1);
    expect(patches(m)).toBe(10n);
    expect(invalidated(m)).toBe(1n);
  });

  it("is dropped when the host writes over the code it patches", () => {
    // the loop on the first page patches a function on another page (calling it while ECX >= 20);
    // the budget stops it at the top of the loop, with every block of the loop decoded and stores
    // since the last decode; the host overwrites that page with data, and the loop goes on without
    // decoding anything: the same store is a plain one now
    const make = () => {
      const code = assemble(`
          mov $40, %ecx
        1: mov %ecx, 0x3001
          cmp $20, %ecx
          jb 2f
          call 0x3000
        2: dec %ecx
          jnz 1b
          hlt`, 0x1000);
      const fn = assemble(`.byte 0x05\n.long 0\nret`, 0x3000); // add $imm32, %eax
      const m = flatMachine(1 << 20);
      m.writePhys(0x1000, code);
      m.writePhys(0x3000, fn);
      m.eip = 0x1000;
      return m;
    };
    for (const [engine, threshold] of [["interp", 0], ["jit", 0], ["jit", 2]] as const) {
      const m = make();
      m.useEngine(engine, threshold);
      // 1 + 21 iterations of 8 instructions (ECX 40 .. 20) + 5 of 5 (ECX 19 .. 15)
      expect(m.run(1n + 21n * 8n + 5n * 5n)).toBe("BUDGET");
      expect(m.reg("ecx")).toBe(14);
      expect(m.eip).toBe(0x1005);
      expect(m.reg("eax")).toBe(((40 + 20) * 21) / 2);
      const before = patches(m);
      expect(before).toBe(25n); // 26 stores, the first before the function was decoded
      m.writePhys(0x3000, new Uint8Array(8).fill(0xee));
      expect(m.run(1_000_000n)).toBe("HLT");
      expect(patches(m), `${engine} ${threshold}`).toBe(before);
      expect(Array.from(m.readPhys(0x3000, 8))).toEqual([0xee, 1, 0, 0, 0, 0xee, 0xee, 0xee]);
    }
  });
});
