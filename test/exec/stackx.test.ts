// ENTER, PUSHA/POPA, PUSHF/POPF: expected values from the SDM's "Operation" sections.
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  mismatches, nativeUnavailable, prng, randomValue, type Snippet,
} from "../helpers/native.ts";

const u32At = (m: Machine, at: number) => new DataView(m.readPhys(at, 4).buffer).getUint32(0, true);
const u16At = (m: Machine, at: number) => new DataView(m.readPhys(at, 2).buffer).getUint16(0, true);
const put32 = (m: Machine, at: number, v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); m.writePhys(at, b); };

const TF = 1 << 8, IF = 1 << 9, IOPL3 = 3 << 12, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, VIF = 1 << 19, VIP = 1 << 20, ID = 1 << 21;

describe("PUSHA / POPA", () => {
  it("PUSHAD stores EAX..EDI with the original ESP, EAX highest; POPAD restores all but ESP", () => {
    const m = runAsm(`mov $1, %eax; mov $2, %ecx; mov $3, %edx; mov $4, %ebx; mov $6, %ebp; mov $7, %esi; mov $8, %edi
      pushal; mov %esp, 0x3000
      movl $0x55, 12(%esp)     # the stored ESP slot: ignored by POPAD
      xor %eax, %eax; xor %ecx, %ecx; xor %edx, %edx; xor %ebx, %ebx; xor %ebp, %ebp; xor %esi, %esi; xor %edi, %edi
      popal`);
    expect(u32At(m, 0x3000)).toBe(0x8000 - 32);
    const stored = [8, 7, 6, 0x55, 4, 3, 2, 1];
    for (let i = 0; i < 8; i++) expect(u32At(m, 0x8000 - 32 + 4 * i)).toBe(stored[i]);
    expect([m.reg("eax"), m.reg("ecx"), m.reg("edx"), m.reg("ebx"), m.reg("ebp"), m.reg("esi"), m.reg("edi")]).toEqual([1, 2, 3, 4, 6, 7, 8]);
    expect(m.reg("esp")).toBe(0x8000);
  });

  it("PUSHAW/POPAW move the 16-bit registers and keep the upper halves on POPAW", () => {
    const m = runAsm(`mov $0xaaaa0001, %eax; mov $0xbbbb0008, %edi; pushaw; mov %esp, 0x3000
      mov $0x11110000, %eax; mov $0x22220000, %edi; popaw`);
    expect(u32At(m, 0x3000)).toBe(0x8000 - 16);
    expect(u16At(m, 0x8000 - 2)).toBe(1);
    expect(u16At(m, 0x8000 - 10)).toBe(0x8000); // SP before
    expect(u16At(m, 0x8000 - 16)).toBe(8);
    expect(m.reg("eax")).toBe(0x11110001);
    expect(m.reg("edi")).toBe(0x22220008);
  });

  it("a PUSHAD that faults changes no register", () => {
    const m = flatMachine();
    m.setSegment(2, 0x10, 0, 0xfffff, 0x4093); // SS limit 1 MiB - 1, byte granular
    m.writePhys(0x1000, assemble("pushal\nhlt", 0x1000));
    m.eip = 0x1000;
    m.setReg("esp", 0x10); // pushes wrap below 0: beyond the limit
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(12);
    expect(m.reg("esp")).toBe(0x10);
  });
});

/** Run `n` instructions of `src` at CPL 3 (no HLT there: it is privileged). */
function runUser(src: string, n: bigint, eflags: number): Machine {
  const m = flatMachine();
  m.writePhys(0x1000, assemble(src, 0x1000));
  m.eip = 0x1000;
  m.setCpl(3);
  m.eflags = eflags;
  expect(m.run(n)).toBe("BUDGET");
  return m;
}

describe("PUSHF / POPF", () => {
  it("PUSHFD clears RF and VM in the image", () => {
    const m = runAsm(`pushfl; pop %eax; pushfw; pop %bx`, (m) => { m.eflags = 0x2 | RF | AC | (1 << 0); });
    expect(m.reg("eax")).toBe(0x2 | AC | 1);
    expect(m.reg("ebx") & 0xffff).toBe(0x3);
  });

  // (TF is left out: single-step traps are not implemented, and setting TF stops the run — below)
  it("POPFD at CPL 0 sets every writable flag (IOPL, IF, AC, ID) but clears RF, VIF, VIP", () => {
    const m = runAsm(`push $${~TF}; popfl; pushfl; pop %eax; push $0; popfl`, (m) => { m.eflags = 0x2 | VIF | VIP | RF; });
    expect(m.reg("eax") >>> 0).toBe(0x247fd7 & ~TF);
  });

  it("POPFD at CPL 3, IOPL 0 keeps IF and IOPL without a fault", () => {
    const m = runUser(`push $${~TF}; popfl; pushfl; pop %eax`, 4n, 0x2 | IF);
    expect(m.reg("eax") >>> 0).toBe((0x247fd7 & ~IOPL3 & ~TF) >>> 0);
    const m2 = runUser(`push $0; popfl; pushfl; pop %eax`, 4n, 0x2 | IF | (1 << 12));
    expect(m2.reg("eax")).toBe(0x2 | IF | (1 << 12));
  });

  it("POPFD at CPL 3 with IOPL 3 changes IF but not IOPL", () => {
    const m = runUser(`push $0; popfl; pushfl; pop %eax`, 4n, 0x2 | IF | IOPL3);
    expect(m.reg("eax")).toBe(0x2 | IOPL3);
  });

  it("POPFW changes only bits 0-15", () => {
    const m = runAsm(`pushw $${0xffff & ~TF}; popfw; pushfl; pop %eax`, (m) => { m.eflags = 0x2 | AC | ID; });
    expect(m.reg("eax") >>> 0).toBe(((0x7fd7 & ~TF) | AC | ID) >>> 0);
  });

  it("POPF that sets TF stops the run: single-step traps are not implemented", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble(`push $${TF}; popfl; hlt`, 0x1000));
    m.eip = 0x1000;
    expect(m.run(100n)).toBe("INTERNAL");
    expect(m.eip).toBe(0x1000 + 5); // at the POPF, which has not retired
    expect(m.eflags & TF).toBe(0);
  });

  it("VM can never be set by POPF", () => {
    const m = runAsm(`push $${VM}; popfl; pushfl; pop %eax`);
    expect(m.reg("eax")).toBe(0x2);
  });
});

describe("ENTER", () => {
  it("level 0: push EBP, EBP = ESP, ESP -= alloc", () => {
    const m = runAsm(`mov $0x7000, %ebp; enter $0x20, $0`);
    expect(u32At(m, 0x7ffc)).toBe(0x7000);
    expect(m.reg("ebp")).toBe(0x7ffc);
    expect(m.reg("esp")).toBe(0x7ffc - 0x20);
  });

  it("level 3 copies two frame pointers of the old frame and pushes the new one", () => {
    const m = runAsm(`mov $0x7000, %ebp; enter $16, $3`, (m) => { put32(m, 0x6ffc, 0xaaaa0001); put32(m, 0x6ff8, 0xaaaa0002); });
    expect([u32At(m, 0x7ffc), u32At(m, 0x7ff8), u32At(m, 0x7ff4), u32At(m, 0x7ff0)]).toEqual([0x7000, 0xaaaa0001, 0xaaaa0002, 0x7ffc]);
    expect(m.reg("ebp")).toBe(0x7ffc);
    expect(m.reg("esp")).toBe(0x7fe0);
  });

  it("level 1 pushes only the new frame pointer; the level is taken modulo 32", () => {
    const m = runAsm(`mov $0x7000, %ebp; enter $0, $1; mov %esp, %ebx; mov %ebp, %ecx; mov $0x8000, %esp; mov $0x7000, %ebp; enter $4, $32`);
    expect(m.reg("ebx")).toBe(0x7ff8);
    expect(m.reg("ecx")).toBe(0x7ffc);
    expect(u32At(m, 0x7ff8)).toBe(0x7ffc);
    expect(m.reg("esp")).toBe(0x7ffc - 4);
  });

  it("ENTERW pushes 16-bit values; with a 32-bit stack the old frame is read at EBP - 2k", () => {
    const m = runAsm(`mov $0x7000, %ebp; enterw $8, $2`, (m) => { m.writePhys(0x6ffe, new Uint8Array([0x34, 0x12])); });
    expect(u16At(m, 0x7ffe)).toBe(0x7000);
    expect(u16At(m, 0x7ffc)).toBe(0x1234);
    expect(u16At(m, 0x7ffa)).toBe(0x7ffe);
    expect(m.reg("ebp")).toBe(0x7ffe);
    expect(m.reg("esp")).toBe(0x7ffa - 8);
  });

  it("ENTERW sets BP only, keeping the upper half of EBP", () => {
    const m = runAsm(`mov $0x12347000, %ebp; enterw $0, $0`);
    expect(u16At(m, 0x7ffe)).toBe(0x7000);
    expect(m.reg("ebp")).toBe(0x12347ffe);
    expect(m.reg("esp")).toBe(0x7ffe);
  });

  it("a frame that leaves the stack segment faults #SS(0) with no change", () => {
    const m = flatMachine();
    m.setSegment(2, 0x10, 0, 0xfffff, 0x4093);
    m.writePhys(0x1000, assemble("enter $0x100, $0\nhlt", 0x1000));
    m.eip = 0x1000;
    m.setReg("esp", 0x80);
    m.setReg("ebp", 0x1234);
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(12);
    expect(m.field(L.S_EXC_CODE)).toBe(0);
    expect(m.reg("esp")).toBe(0x80);
    expect(m.reg("ebp")).toBe(0x1234);
  });
});

const why = nativeUnavailable();
if (why) console.warn(why);

describe.skipIf(why !== null)("stack instructions against the host CPU", () => {
  it("agree on PUSHA/POPA, PUSHF/POPF (flags a CPL 3 program may change), ENTER", () => {
    const next = prng(4);
    // POPF natively runs at CPL 3 with IOPL 0: compare only the flags it may change there; TF and
    // AC are kept 0 (they would trap or fault in the native program).
    const POPF_FLAGS = 0xcd5 | (1 << 14) | ID;
    const bodies: [string, number][] = [
      ["pushal\n mov (%esp), %eax\n mov 28(%esp), %ebx\n mov 12(%esp), %ecx\n sub %esp, %ecx\n popal", 0],
      ["pushal\n movl $0x55, 12(%esp)\n addl $1, 0(%esp)\n popal", 0],
      ["pushaw\n mov (%esp), %ax\n movzwl 8(%esp), %ebx\n popaw", 0],
      ["pushfl\n pop %eax\n and $0xcd5, %eax", 0],
      ["pushfw\n pop %ax\n and $0xcd5, %eax", 0],
      ["and $0x20ccd5, %eax\n push %eax\n popfl\n pushfl\n pop %ebx\n and $0x20ccd5, %ebx", POPF_FLAGS],
      ["and $0x4cd5, %eax\n push %ax\n popfw\n pushfw\n pop %bx\n and $0x4cd5, %ebx", POPF_FLAGS],
      // ENTER: frame values relative to ESP; the copied frame pointers come from scratch
      // (the frame is 12 bytes of locals, the new frame pointer (an address: made relative to ESP),
      // level-1 copied pointers and the saved EBP at the top; nothing above it is read)
      ["mov $scratch+40, %ebp\n enter $12, $0\n mov %ebp, %eax\n sub %esp, %eax\n mov 12(%esp), %ebx\n leave", 0],
      ...[1, 2, 5].map((lvl): [string, number] => [`mov $scratch+40, %ebp\n enter $12, $${lvl}\n mov %ebp, %eax\n sub %esp, %eax\n mov 12(%esp), %ebx\n sub %esp, %ebx\n mov 16(%esp), %ecx\n mov ${12 + 4 * lvl}(%esp), %edx${lvl >= 2 ? `\n mov ${8 + 4 * lvl}(%esp), %esi` : ""}\n leave`, 0]),
      // ENTERW sets BP only (EBP keeps its upper half, so LEAVEW cannot undo it: ESP is restored by hand)
      ["mov $scratch+40, %ebp\n mov %esp, %edi\n enterw $6, $3\n mov %bp, %ax\n sub %sp, %ax\n movzwl %ax, %eax\n movzwl 6(%esp), %ebx\n sub %sp, %bx\n movzwl 8(%esp), %ecx\n movzwl 10(%esp), %edx\n movzwl 12(%esp), %esi\n mov %edi, %esp\n sub $scratch, %ebp\n sub %esp, %ebp\n movzwl %bp, %ebp\n xor %edi, %edi", 0],
    ];
    const snippets: Snippet[] = bodies.map(([body]) => ({
      body,
      inputs: Array.from({ length: 50 }, () => ({
        regs: Array.from({ length: 8 }, () => randomValue(next)),
        eflags: next(),
        mem: new Uint8Array(Array.from({ length: 64 }, () => next() & 0xff)),
      })),
    }));
    expect(mismatches(snippets, (i) => bodies[i][1])).toEqual([]);
  });
});
