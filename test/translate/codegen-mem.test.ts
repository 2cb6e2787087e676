// Memory and stack accesses of translations (src/translate/codegen-mem.ts) against the
// interpreter: segment bases and limits held in locals across a region, reloaded after a record
// that loads a segment register; accesses at the edge of a limit; segments the fast path never
// takes (expand-down, 16-bit stack). Every program runs translated (thresholds 0 and 2) and
// interpreted, and all state and counters must agree (test/helpers/engines.ts).
import { describe, it, expect } from "vitest";
import { expectEnginesAgree } from "../helpers/engines.ts";
import { protProgram } from "../helpers/programs.ts";
import { setGdt, segDesc, write32, KDATA, SPARE, ACC_DATA0 } from "../helpers/desc.ts";
import { L } from "../../src/core/layout.gen.ts";

const SR_SS = 2;
/** SEG_ATTR of a 32-bit (B = 1), byte-granular, present ring 0 data segment: read/write, accessed */
const DATA_B = 0x4093;
/** …expand-down */
const DATA_B_DOWN = 0x4097;
/** …with B = 0 (a 16-bit stack) */
const DATA_16 = 0x0093;
const SS_VEC = 12, GP_VEC = 13;

describe("translated memory accesses agree with the interpreter", () => {
  it("DS alternates between flat and based + limited in a loop, then #GP at its limit", () => {
    // SPARE: base 0x20000, limit 0x3fff
    const based = SPARE;
    const { m } = expectEnginesAgree(protProgram(`
        mov $${based}, %eax
        mov $${KDATA}, %edx
        mov $0x100, %esi
        mov $300, %ecx
      1: mov %ax, %ds
        mov (%esi), %ebx
        add %ebx, %edi
        mov %ecx, 4(%esi)
        addl $1, 8(%esi)
        xchg %eax, %edx
        add $0x40, %esi
        dec %ecx
        jnz 1b`, (m) => setGdt(m, based, segDesc(0x20000, 0x3fff, ACC_DATA0 | 1, 0x4))));
    expect(m.field(L.S_EXC_VECTOR)).toBe(GP_VEC);
    // the first access beyond the limit through the based segment: 0x100 + 0x40 k > 0x3ff4
    expect(m.reg("esi")).toBeGreaterThan(0x3ff4);
  });

  it("LSS inside a region switches between stacks with different bases", () => {
    const stack = SPARE + 8;
    const { m } = expectEnginesAgree(protProgram(`
        mov $0x3000, %edi
        movl $0x7000, (%edi)
        movl $${stack}, 4(%edi)
        movl $0x6000, 8(%edi)
        movl $${KDATA}, 12(%edi)
        mov $400, %ecx
      1: lss (%edi), %esp
        push %ecx
        push $7
        call 2f
        pop %eax
        pop %edx
        add %edx, %ebx
        xor $8, %edi
        dec %ecx
        jnz 1b
        jmp 3f
      2: addl $1, 4(%esp)
        ret
      3: mov $${KDATA}, %eax
        mov %ax, %ss`, (m) => setGdt(m, stack, segDesc(0x30000, 0xffff, ACC_DATA0 | 1, 0x4))));
    expect(m.reg("ebx")).toBe(400 * 401 / 2);
  });

  // (a limit inside a page: near a page end the page-crossing check would hide an off-by-one)
  it("pops up to the last bytes below the SS limit, then #SS(0)", () => {
    const { m } = expectEnginesAgree(protProgram(`
      1: pop %eax
        add %eax, %ebx
        jmp 1b`, (m) => {
      m.setSegment(SR_SS, KDATA, 0, 0x7bff, DATA_B);
      m.setReg("esp", 0x7b01);
    }));
    expect(m.field(L.S_EXC_VECTOR)).toBe(SS_VEC);
    expect(m.reg("esp")).toBe(0x7bfd); // limit - ESP = 2: a 4-byte pop does not fit
  });

  it("a CALL whose push ends beyond the SS limit raises #SS(0); the ones before it run", () => {
    const { m } = expectEnginesAgree(protProgram(`
      1: call 2f
      2: add $8, %esp
        inc %ebx
        jmp 1b`, (m) => {
      m.setSegment(SR_SS, KDATA, 0, 0x7bff, DATA_B);
      m.setReg("esp", 0x7b01);
    }));
    expect(m.field(L.S_EXC_VECTOR)).toBe(SS_VEC);
    expect(m.reg("esp")).toBe(0x7c01); // the push would write 0x7bfd..0x7c00
    expect(m.reg("ebx")).toBe((0x7c01 - 0x7b01) / 4);
  });

  it("an expand-down stack: pushes down to its limit, then #SS(0)", () => {
    const { m } = expectEnginesAgree(protProgram(`
      1: push %ecx
        inc %ecx
        jmp 1b`, (m) => {
      m.setSegment(SR_SS, KDATA, 0, 0x6fff, DATA_B_DOWN);
      m.setReg("esp", 0x7100);
    }));
    expect(m.field(L.S_EXC_VECTOR)).toBe(SS_VEC);
    expect(m.reg("esp")).toBe(0x7000);
    expect(m.reg("ecx")).toBe(0x40);
  });

  it("a 16-bit stack (B = 0): pushes and pops move SP only", () => {
    const { m } = expectEnginesAgree(protProgram(`
        mov $500, %ecx
      1: push %ecx
        call 2f
        pop %eax
        add %eax, %ebx
        dec %ecx
        jnz 1b
        jmp 3f
      2: ret
      3:`, (m) => {
      m.setSegment(SR_SS, KDATA, 0x40000, 0xffff, DATA_16);
      m.setReg("esp", 0x12340000);
    }));
    expect(m.reg("esp")).toBe(0x12340000);
    expect(m.reg("ebx")).toBe(500 * 501 / 2);
  });

  it("a data segment whose base is not page aligned: linear = base + offset, page-crossing accesses", () => {
    const { m } = expectEnginesAgree(protProgram(`
        mov $0, %esi
        mov $3000, %ecx
      1: mov (%esi), %eax
        add %ecx, %eax
        mov %eax, 4(%esi)
        add $3, %esi
        and $0x1fff, %esi
        dec %ecx
        jnz 1b`, (m) => m.setSegment(3, KDATA, 0x20ffe, 0xffff, DATA_B)));
    expect(m.reg("ecx")).toBe(0);
  });

  it("a store into the page of the running code takes the slow path every time, exactly", () => {
    const { m } = expectEnginesAgree(protProgram(`
        mov $300, %ecx
      1: mov %ecx, 3f
        add 3f, %ebx
        push %ecx
        pop %edx
        dec %ecx
        jnz 1b
        jmp 4f
      3: .long 0
      4:`, (m) => write32(m, 0x2000, 0)));
    expect(m.reg("ebx")).toBe(300 * 301 / 2);
  });
});
