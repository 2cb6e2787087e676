// Guest descriptors are validated by rewriting, as Xen's check_descriptor does: DPL 0 raised to 1,
// limits kept off the hypervisor area, call gates given DPL 0 (their DPL kept in the target RPL),
// system descriptors other than call gates refused; set_gdt and update_descriptor apply it.
import { describe, it, expect } from "vitest";
import { pvDomain, PRELUDE, DATA, mfnOf, va } from "../helpers/pv.ts";
import { checkDescriptor, loadSelector } from "../../src/hv/descriptor-tables.ts";
import { ERRNO } from "../../src/hv/abi.ts";

const neg = (e: number) => (-e) >>> 0;

describe("check_descriptor", () => {
  const { d } = pvDomain("nop");
  const hex = (x: [number, number] | null) => x && x.map((v) => v.toString(16).padStart(8, "0"));
  it("raises DPL 0 to 1 and truncates a flat segment to the end of the M2P (PAE: 0xF6800000)", () => {
    expect(hex(checkDescriptor(d, 0x0000ffff, 0x00cf9a00))).toEqual(["000067ff", "00cfba00"]);
    expect(hex(checkDescriptor(d, 0x0000ffff, 0x00cff200))).toEqual(["000067ff", "00cff200"]);
  });
  it("keeps segments that end below the hypervisor area, and not-present descriptors", () => {
    expect(hex(checkDescriptor(d, 0x0000ffff, 0x00c0f200))).toEqual(["0000ffff", "00c0f200"]);
    expect(hex(checkDescriptor(d, 0x0000ffff, 0x00cf1a00))).toEqual(["0000ffff", "00cf1a00"]);
  });
  it("refuses byte-granular segments reaching the hypervisor area, expand-down data, 64-bit code", () => {
    expect(checkDescriptor(d, 0x0000ffff, 0xf644f27f)).toBeNull();   // base 0xF67F0000, 320 KiB
    expect(checkDescriptor(d, 0x0000ffff, 0x00cff600)).toBeNull();
    expect(checkDescriptor(d, 0x0000ffff, 0x00affa00)).toBeNull();
  });
  it("call gates get DPL 0 with their DPL in the target selector's RPL; other system types are refused", () => {
    expect(hex(checkDescriptor(d, 0xe0191234, 0xc000ec00))).toEqual(["e01b1234", "c0008c00"]);
    expect(hex(checkDescriptor(d, 0x00081234, 0x0000ec02))).toEqual(["000b1234", "00008c02"]); // guest GDT target, 2 parameters
    expect(checkDescriptor(d, 0xe0081234, 0x0000ec00)).toBeNull();    // target in Xen's reserved GDT
    expect(checkDescriptor(d, 0xe0191234, 0xc000ec20)).toBeNull();    // reserved bits 5-7 set
  });
  it("TSS, LDT, interrupt and trap gates are refused; type 0 is harmless", () => {
    expect(checkDescriptor(d, 0x00000067, 0x00008900)).toBeNull();
    expect(checkDescriptor(d, 0x00000fff, 0x00008200)).toBeNull();
    expect(checkDescriptor(d, 0xe0191234, 0xc000ee00)).toBeNull();
    expect(hex(checkDescriptor(d, 0x12345678, 0x00008000))).toEqual(["12345678", "00008000"]);
  });
  it("the flat selectors load; Xen's ring-0 selectors and ring mismatches do not", () => {
    expect(loadSelector(d, 0xe019, "cs")).toMatchObject({ base: 0, limit: 0xf67fffff });
    expect(loadSelector(d, 0xe033, "ss")).toMatchObject({ base: 0 }); // ring 3's stack, for a return to ring 3
    expect(loadSelector(d, 0xe031, "ss")).toBeNull();                 // RPL must equal the stack's DPL
    expect(loadSelector(d, 0xe021, "cs")).toBeNull();
    expect(loadSelector(d, 0xe008, "cs")).toBeNull();
  });
});

describe("update_descriptor and set_gdt", () => {
  const gdtMfn = mfnOf(300), gdtVa = va(300);
  it("update_descriptor rewrites, refuses misaligned, foreign frames and bad descriptors", () => {
    const t = pvDomain(`${PRELUDE}
      movl $${gdtMfn * 4096 + 8}, %ebx; xorl %ecx, %ecx; movl $0x0000ffff, %edx; movl $0x00cf9a00, %esi
      HYPERCALL 10; RESULT 0
      movl $${gdtMfn * 4096 + 12}, %ebx; HYPERCALL 10; RESULT 1          /* misaligned */
      movl $${0x10 * 4096}, %ebx; HYPERCALL 10; RESULT 2                  /* not the domain's frame */
      movl $${gdtMfn * 4096 + 16}, %ebx; movl $0x00000067, %edx; movl $0x00008900, %esi
      HYPERCALL 10; RESULT 3                                              /* a TSS */
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 4)).toEqual([0, neg(ERRNO.EINVAL), neg(ERRNO.EINVAL), neg(ERRNO.EINVAL)]);
    expect(t.d.mem.readU32s(gdtVa + 8, 4)).toEqual([0x000067ff, 0x00cfba00, 0, 0]);
  });

  it("set_gdt validates every descriptor of its frames and rewrites them in place", () => {
    // pv_set_gdt: each frame takes the descriptor-page type, refused while it is mapped writable;
    // validation (every descriptor checked and rewritten) happens as it takes the type.
    const pfn301 = va(301), tssMfn = mfnOf(301);
    const t = pvDomain(`${PRELUDE}
      movl $0x0000ffff, ${gdtVa + 8}; movl $0x00cf9a00, ${gdtVa + 12}    /* ring-0 code: raised */
      movl $0x00000067, ${pfn301 + 16}; movl $0x00008900, ${pfn301 + 20}  /* a TSS in the other */
      movl $${gdtMfn}, ${DATA + 0x100}
      movl $${tssMfn}, ${DATA + 0x108}
      movl $${DATA + 0x100}, %ebx; movl $7169, %ecx; HYPERCALL 2; RESULT 0   /* too many entries */
      movl $0xc0300000, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 1          /* bad list pointer */
      movl $0x10, ${DATA + 0x104}
      movl $${DATA + 0x104}, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 2     /* foreign frame */
      movl $${DATA + 0x100}, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 5     /* still mapped writable */
      movl $${gdtVa}, %ebx; movl $${gdtMfn * 4096 + 0x21}, %ecx; xorl %edx, %edx; movl $2, %esi; HYPERCALL 14
      movl $${pfn301}, %ebx; movl $${tssMfn * 4096 + 0x21}, %ecx; xorl %edx, %edx; movl $2, %esi; HYPERCALL 14
      movl $${DATA + 0x100}, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 3
      movl $${DATA + 0x108}, %ebx; movl $16, %ecx; HYPERCALL 2; RESULT 4     /* the TSS frame */
      SHUTDOWN 0
    `);
    t.run();
    expect(t.d.mem.readU32s(DATA, 6)).toEqual([neg(ERRNO.EINVAL), neg(ERRNO.EFAULT), neg(ERRNO.EINVAL), 0, neg(ERRNO.EINVAL), neg(ERRNO.EINVAL)]);
    expect(t.d.mem.readU32s(gdtVa + 8, 2)).toEqual([0x000067ff, 0x00cfba00]);
    expect(t.d.vcpu.gdtFrames).toEqual([gdtMfn]);
    expect(loadSelector(t.d, 0x09, "cs")).toMatchObject({ base: 0, limit: 0xf67fffff });
  });
});
