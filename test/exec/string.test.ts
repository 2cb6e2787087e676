// String instructions: expected values from the SDM's "Operation" sections (Vol. 2: MOVS, CMPS,
// STOS, LODS, SCAS, INS, OUTS, REP) and Vol. 1, 7.3.9.
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine, FLAT_DATA32 } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  mismatches, nativeUnavailable, prng, randomValue, ARITH_FLAGS, type Snippet,
} from "../helpers/native.ts";

const ZF = 1 << 6, CF = 1 << 0, SF = 1 << 7, DF = 1 << 10, IF = 1 << 9;
const bytes = (m: Machine, at: number, n: number) => [...m.readPhys(at, n)];
const fill = (m: Machine, at: number, data: number[]) => m.writePhys(at, new Uint8Array(data));

describe("MOVS", () => {
  it("REP MOVSB/W/D copy forwards and leave ECX = 0, ESI/EDI past the end", () => {
    for (const [insn, size] of [["movsb", 1], ["movsw", 2], ["movsl", 4]] as const) {
      const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; mov $5, %ecx; rep ${insn}`,
        (m) => fill(m, 0x2000, Array.from({ length: 20 }, (_, i) => i + 1)));
      expect(bytes(m, 0x3000, 5 * size + 1)).toEqual([...Array.from({ length: 5 * size }, (_, i) => i + 1), 0]);
      expect(m.reg("ecx")).toBe(0);
      expect(m.reg("esi")).toBe(0x2000 + 5 * size);
      expect(m.reg("edi")).toBe(0x3000 + 5 * size);
    }
  });

  it("DF = 1 copies downwards", () => {
    const m = runAsm(`std; mov $0x2003, %esi; mov $0x3003, %edi; mov $4, %ecx; rep movsb; cld`,
      (m) => fill(m, 0x2000, [1, 2, 3, 4]));
    expect(bytes(m, 0x3000, 4)).toEqual([1, 2, 3, 4]);
    expect(m.reg("esi")).toBe(0x1fff);
    expect(m.reg("edi")).toBe(0x2fff);
  });

  it("without REP moves one element and ignores ECX", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; mov $7, %ecx; movsw`,
      (m) => fill(m, 0x2000, [0xaa, 0xbb, 0xcc]));
    expect(bytes(m, 0x3000, 3)).toEqual([0xaa, 0xbb, 0]);
    expect(m.reg("ecx")).toBe(7);
    expect(m.reg("esi")).toBe(0x2002);
  });

  it("REP with ECX = 0 does nothing", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; xor %ecx, %ecx; rep movsb`,
      (m) => fill(m, 0x2000, [9]));
    expect(bytes(m, 0x3000, 1)).toEqual([0]);
    expect(m.reg("esi")).toBe(0x2000);
  });

  it("a segment override applies to the source; the destination is always ES", () => {
    const m = runAsm(`mov $0x100, %esi; mov $0x200, %edi; mov $2, %ecx; rep movsb %fs:(%esi), %es:(%edi)
      mov $0x300, %edi; fs stosb`, (m) => {
      m.setSegment(4, 0x10, 0x20000, 0xffffffff, FLAT_DATA32); // FS
      m.setSegment(0, 0x10, 0x30000, 0xffffffff, FLAT_DATA32); // ES
      fill(m, 0x20100, [0x11, 0x22]);
      m.setReg("eax", 0x77);
    });
    expect(bytes(m, 0x30200, 2)).toEqual([0x11, 0x22]);
    expect(bytes(m, 0x30300, 1)).toEqual([0x77]); // FS prefix on STOS: still ES
    expect(bytes(m, 0x300, 1)).toEqual([0]);
  });

  it("16-bit address size uses SI/DI/CX, wraps at 64 KiB and keeps the upper halves", () => {
    const m = runAsm(`mov $0x1234ffff, %esi; mov $0x5678fffe, %edi; mov $0xabcd0002, %ecx; addr16 rep movsb`,
      (m) => { fill(m, 0xffff, [0x5a]); fill(m, 0x0, [0xa5]); });
    expect(bytes(m, 0xfffe, 2)).toEqual([0x5a, 0xa5]);
    expect(m.reg("esi")).toBe(0x12340001);
    expect(m.reg("edi")).toBe(0x56780000);
    expect(m.reg("ecx")).toBe(0xabcd0000);
  });

  it("a long REP runs in chunks, retires once, and ends with exact registers", () => {
    const n = 10000;
    const m = runAsm(`mov $0x10000, %esi; mov $0x40000, %edi; mov $${n}, %ecx; rep movsl`,
      (m) => fill(m, 0x10000 + 4 * n - 4, [1, 2, 3, 4]));
    expect(m.reg("ecx")).toBe(0);
    expect(m.reg("edi")).toBe(0x40000 + 4 * n);
    expect(bytes(m, 0x40000 + 4 * n - 4, 4)).toEqual([1, 2, 3, 4]);
    expect(m.instructions).toBe(5n); // mov, mov, mov, rep movsl, hlt
    // 10000 iterations in chunks of 4096: the block holding it is entered three times
    expect(m.u64Field(L.S_BLOCKS_RUN)).toBeGreaterThanOrEqual(3n);
  });

  it("overlapping REP MOVS forwards copies element by element (the pattern repeats)", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x2001, %edi; mov $10, %ecx; rep movsb
      mov $0x2100, %esi; mov $0x2102, %edi; mov $3, %ecx; rep movsw`, (m) => {
      fill(m, 0x2000, [7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      fill(m, 0x2100, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });
    expect(bytes(m, 0x2000, 12)).toEqual([7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 11]);
    expect(bytes(m, 0x2100, 9)).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 9]);
  });

  it("REP STOSD across a page boundary with an element that straddles it", () => {
    const m = runAsm(`mov $0xaabbccdd, %eax; mov $0x2ffe, %edi; mov $4, %ecx; rep stosl`);
    expect(bytes(m, 0x2ffe, 16)).toEqual([0xdd, 0xcc, 0xbb, 0xaa, 0xdd, 0xcc, 0xbb, 0xaa, 0xdd, 0xcc, 0xbb, 0xaa, 0xdd, 0xcc, 0xbb, 0xaa]);
    expect(m.reg("edi")).toBe(0x2ffe + 16);
  });

  it("REP MOVS that overwrites the next instruction: the new code runs", () => {
    const m = runAsm(`mov $2f, %esi; mov $1f, %edi; mov $5, %ecx; rep movsb
    1: mov $1, %eax
      jmp 3f
    2: .byte 0xb8, 2, 0, 0, 0
    3:`);
    expect(m.reg("eax")).toBe(2);
  });

  it("with alignment checking on (CPL 3, CR0.AM, EFLAGS.AC) a misaligned REP STOSD/MOVSD raises #AC(0)", () => {
    // the byte accesses first put both pages in the TLB, where the bulk path would find them
    const prime = "movb $0, 0x3000; movb 0x2000, %al;";
    for (const src of [`${prime} mov $0x3001, %edi; mov $4, %ecx; rep stosl`, `${prime} mov $0x2002, %esi; mov $0x3000, %edi; mov $4, %ecx; rep movsl`]) {
      const m = flatMachine();
      m.writePhys(0x1000, assemble(src, 0x1000));
      m.eip = 0x1000;
      m.setField(L.S_CR0, m.field(L.S_CR0) | (1 << 18));
      m.setCpl(3);
      m.eflags = 0x2 | (1 << 18);
      expect(m.run(10n)).toBe("EXCEPTION");
      expect(m.field(L.S_EXC_VECTOR), src).toBe(17);
      expect(m.reg("ecx")).toBe(4);
    }
  });

  it("a fault mid-string is precise: done iterations stay done, EIP on the instruction", () => {
    const m = flatMachine();
    // ES limit 0x3002: the fourth byte written (offset 0x3003) is beyond it: #GP(0)
    m.setSegment(0, 0x10, 0, 0x3002, 0x4093);
    const code = assemble(`mov $0x2000, %esi; mov $0x3000, %edi; mov $6, %ecx; rep movsb; hlt`, 0x1000);
    m.writePhys(0x1000, code);
    fill(m, 0x2000, [1, 2, 3, 4, 5, 6]);
    m.eip = 0x1000;
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.field(L.S_EXC_CODE)).toBe(0);
    expect(m.eip).toBe(0x1000 + 15); // the REP MOVSB (after three 5-byte movs)
    expect(m.reg("ecx")).toBe(3);
    expect(m.reg("esi")).toBe(0x2003);
    expect(m.reg("edi")).toBe(0x3003);
    expect(bytes(m, 0x3000, 4)).toEqual([1, 2, 3, 0]);
    expect(m.instructions).toBe(3n);
    // the handler fixes the limit and returns to the instruction: it completes
    m.setSegment(0, 0x10, 0, 0xffffffff, FLAT_DATA32);
    expect(m.run()).toBe("HLT");
    expect(bytes(m, 0x3000, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.reg("ecx")).toBe(0);
    expect(m.instructions).toBe(5n);
  });
});

describe("STOS / LODS", () => {
  it("REP STOSB/W/D fill; STOS uses AL/AX/EAX", () => {
    const m = runAsm(`mov $0x11223344, %eax; mov $0x3000, %edi; mov $3, %ecx; rep stosw
      mov $0x3010, %edi; mov $2, %ecx; rep stosl; mov $0x3020, %edi; stosb`);
    expect(bytes(m, 0x3000, 7)).toEqual([0x44, 0x33, 0x44, 0x33, 0x44, 0x33, 0]);
    expect(bytes(m, 0x3010, 8)).toEqual([0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11]);
    expect(bytes(m, 0x3020, 2)).toEqual([0x44, 0]);
    expect(m.reg("edi")).toBe(0x3021);
  });

  it("LODS loads and steps ESI; REP LODS keeps the last element; 8/16-bit loads keep the rest of EAX", () => {
    const m = runAsm(`mov $0xffffffff, %eax; mov $0x2000, %esi; lodsb; mov %eax, %ebx
      mov $0x2000, %esi; mov $3, %ecx; rep lodsw; mov %eax, %edx; lodsl`,
      (m) => fill(m, 0x2000, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(m.reg("ebx")).toBe(0xffffff01);
    expect(m.reg("edx")).toBe(0xffff0605);
    expect(m.reg("eax")).toBe(0x0a090807);
    expect(m.reg("esi")).toBe(0x200a);
  });
});

describe("CMPS / SCAS", () => {
  it("REPE CMPSB stops after the first difference with flags of that compare", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; mov $8, %ecx; repe cmpsb; pushf; pop %ebx`,
      (m) => { fill(m, 0x2000, [1, 2, 3, 4]); fill(m, 0x3000, [1, 2, 9, 4]); });
    expect(m.reg("ecx")).toBe(5);
    expect(m.reg("esi")).toBe(0x2003);
    expect(m.reg("edi")).toBe(0x3003);
    // 3 - 9: borrow, negative, not zero
    expect(m.reg("ebx") & (ZF | CF | SF)).toBe(CF | SF);
  });

  it("REPE CMPS runs out with ZF = 1 when all are equal", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; mov $2, %ecx; repe cmpsl; pushf; pop %ebx`,
      (m) => { fill(m, 0x2000, [1, 2, 3, 4, 5, 6, 7, 8]); fill(m, 0x3000, [1, 2, 3, 4, 5, 6, 7, 8]); });
    expect(m.reg("ecx")).toBe(0);
    expect(m.reg("ebx") & ZF).toBe(ZF);
  });

  it("CMPS compares source − destination (seg:ESI − ES:EDI)", () => {
    const m = runAsm(`mov $0x2000, %esi; mov $0x3000, %edi; cmpsw; pushf; pop %ebx`,
      (m) => { fill(m, 0x2000, [0x00, 0x80]); fill(m, 0x3000, [0x01, 0x00]); });
    // 0x8000 - 0x0001 = 0x7fff: OF = 1 (negative − positive = positive), CF = 0
    expect(m.reg("ebx") & (ZF | CF | SF | (1 << 11))).toBe(1 << 11);
  });

  it("REPNE SCASB finds a byte (strlen idiom)", () => {
    const m = runAsm(`mov $0x3000, %edi; xor %eax, %eax; mov $-1, %ecx; repne scasb; not %ecx; dec %ecx`,
      (m) => fill(m, 0x3000, [...Buffer.from("hello, world"), 0]));
    expect(m.reg("ecx")).toBe(12);
    expect(m.reg("edi")).toBe(0x3000 + 13);
  });

  it("REPNE SCAS with no match runs to ECX = 0 with ZF = 0; REP count 0 leaves the flags", () => {
    const m = runAsm(`mov $0x3000, %edi; mov $0x99, %eax; mov $4, %ecx; repne scasb; pushf; pop %ebx
      xor %ecx, %ecx; stc; repne scasb; pushf; pop %edx`, (m) => fill(m, 0x3000, [1, 2, 3, 4]));
    expect(m.reg("ebx") & ZF).toBe(0);
    expect(m.reg("edi")).toBe(0x3004);
    expect(m.reg("edx") & CF).toBe(CF);
  });
});

describe("INS / OUTS", () => {
  function ioMachine(src: string, setup?: (m: Machine) => void) {
    const m = flatMachine();
    m.writePhys(0x1000, assemble(src + "\nhlt\n", 0x1000));
    m.eip = 0x1000;
    setup?.(m);
    return m;
  }

  it("REP OUTSB writes each byte to port DX, one exit per element", () => {
    const out: number[] = [];
    const m = ioMachine(`mov $0x2000, %esi; mov $0xe9, %edx; mov $5, %ecx; rep outsb`, (m) => {
      fill(m, 0x2000, [...Buffer.from("hello")]);
      m.attachPorts(0xe9, 1, { read: () => 0, write: (_p, _s, v) => out.push(v) });
    });
    expect(m.run()).toBe("HLT");
    expect(Buffer.from(out).toString()).toBe("hello");
    expect(m.reg("ecx")).toBe(0);
    expect(m.reg("esi")).toBe(0x2005);
    expect(m.instructions).toBe(5n);
    expect(m.u64Field(L.S_EXIT_COUNTS + 5 * 8)).toBe(5n); // EXIT_IO
  });

  it("REP INSW stores port words at ES:EDI; DF = 1 goes down", () => {
    let next = 0x100;
    const m = ioMachine(`std; mov $0x3004, %edi; mov $0x60, %edx; mov $3, %ecx; rep insw; cld`, (m) => {
      m.attachPorts(0x60, 2, { read: () => next++, write: () => {} });
    });
    expect(m.run()).toBe("HLT");
    expect(bytes(m, 0x3000, 6)).toEqual([0x02, 0x01, 0x01, 0x01, 0x00, 0x01]);
    expect(m.reg("edi")).toBe(0x2ffe);
  });

  it("an interrupt is taken between iterations with EIP on the instruction and the count updated", () => {
    const m = ioMachine(`mov $0x2000, %esi; mov $0x80, %edx; mov $4, %ecx; rep outsb`, (m) => {
      m.attachPorts(0x80, 1, { read: () => 0, write: () => m.setField(L.S_INTR_PENDING, 1) });
      m.eflags = 0x2 | IF;
    });
    expect(m.run()).toBe("INTERRUPT");
    expect(m.eip).toBe(0x1000 + 15);
    expect(m.reg("ecx")).toBe(3);
    expect(m.reg("esi")).toBe(0x2001);
    expect(m.instructions).toBe(3n);
  });

  it("INS faults on an unwritable destination before the port is read", () => {
    let reads = 0;
    const m = ioMachine(`mov $0x3000, %edi; mov $0x60, %edx; insb`, (m) => {
      m.setSegment(0, 0x10, 0, 0xfff, 0x4093); // ES limit below EDI
      m.attachPorts(0x60, 1, { read: () => { reads++; return 0; }, write: () => {} });
    });
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(reads).toBe(0);
    expect(m.reg("edi")).toBe(0x3000);
  });

  it("at CPL 3 with IOPL 0, INS/OUTS need the TSS I/O bitmap: no TSS → #GP(0)", () => {
    const m = ioMachine(`mov $0x2000, %esi; mov $0x80, %edx; outsb`);
    m.run(2n); // the movs at CPL 0
    m.setCpl(3);
    expect(m.run()).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(13);
    expect(m.reg("esi")).toBe(0x2000);
  });
});


const why = nativeUnavailable();
if (why) console.warn(why);

describe.skipIf(why !== null)("string instructions against the host CPU", () => {
  it("agree on random counts, offsets, DF, data and REPE/REPNE", () => {
    const next = prng(3);
    // ESI in scratch+16.., EDI in scratch+40.., small counts: every access stays inside scratch
    const setup = (countMask: number) => `and $${countMask}, %ecx\n and $7, %esi\n add $scratch+16, %esi\n and $7, %edi\n add $scratch+40, %edi\n`;
    const F = ARITH_FLAGS | DF;
    const bodies: [string, number][] = [];
    for (const [sfx, mask] of [["b", 7], ["w", 3], ["l", 3]] as const) {
      bodies.push(
        [`${setup(mask)} rep movs${sfx}`, DF], [`${setup(mask)} movs${sfx}`, DF],
        [`${setup(mask)} rep stos${sfx}`, DF], [`${setup(mask)} rep lods${sfx}`, DF], [`${setup(mask)} lods${sfx}`, DF],
        [`${setup(mask)} repe cmps${sfx}`, F], [`${setup(mask)} repne cmps${sfx}`, F], [`${setup(mask)} cmps${sfx}`, F],
        [`${setup(mask)} and $0x03030303, %eax\n repe scas${sfx}`, F], [`${setup(mask)} and $0x03030303, %eax\n repne scas${sfx}`, F],
        [`${setup(mask)} scas${sfx}`, F],
      );
    }
    bodies.push([`${setup(7)} rep movsb %es:(%esi), %es:(%edi)`, DF], [`${setup(7)} .byte 0xf2\n movsb`, DF]);
    const snippets: Snippet[] = bodies.map(([body]) => ({
      body,
      inputs: Array.from({ length: 60 }, () => ({
        regs: Array.from({ length: 8 }, () => randomValue(next)),
        eflags: next(),
        // a small alphabet, so compares match often
        mem: new Uint8Array(Array.from({ length: 64 }, () => next() & 3)),
      })),
    }));
    expect(mismatches(snippets, (i) => bodies[i][1])).toEqual([]);
  });
});

describe("REP MOVS/STOS with paging: an element straddling a page end", () => {
  // Found by the differential test (seed 20261122, cases 40000 and 69010): the bulk path must not
  // run on from an element that straddles the page end into the next *machine* page; the second
  // linear page is translated (here it maps elsewhere, or is not present).
  const PD = 0x10000, PT = 0x11000;
  /** identity-map the first 4 MiB, but linear page 0x5 → machine page 0x9, and page 0x7 not present */
  function paged(): Machine {
    const m = flatMachine();
    const pd = new Uint8Array(4096), pt = new Uint8Array(4096);
    new DataView(pd.buffer).setUint32(0, PT | 0x3, true);
    const ptv = new DataView(pt.buffer);
    for (let i = 0; i < 1024; i++) if (i !== 7) ptv.setUint32(i * 4, ((i === 5 ? 9 : i) << 12) | 0x3, true);
    m.writePhys(PD, pd);
    m.writePhys(PT, pt);
    m.setField(L.S_CR3, PD);
    m.setField(L.S_CR0, 0x80000011);
    return m;
  }
  // each program first touches the pages so their translations are in the TLB (the bulk path's condition)
  function run(m: Machine, src: string): string {
    m.writePhys(0x1000, assemble(src + "\nhlt", 0x1000));
    m.eip = 0x1000;
    return m.run(1000n);
  }

  it("REP STOSD from 0x4FFE writes the straddling element's tail into linear page 5 (machine page 9)", () => {
    const m = paged();
    expect(run(m, "movb $0, 0x4ff0; mov $0x11223344, %eax; mov $0x4ffe, %edi; mov $3, %ecx; rep stosl")).toBe("HLT");
    expect(Array.from(m.readPhys(0x4ffe, 2))).toEqual([0x44, 0x33]);
    expect(Array.from(m.readPhys(0x9000, 10))).toEqual([0x22, 0x11, 0x44, 0x33, 0x22, 0x11, 0x44, 0x33, 0x22, 0x11]);
    expect(Array.from(m.readPhys(0x5000, 4))).toEqual([0, 0, 0, 0]); // machine page 5 untouched
  });

  it("REP MOVSD whose source element straddles into a not-present page faults there, precisely", () => {
    const m = paged();
    expect(run(m, "mov 0x6ff0, %eax; movb $0, 0x2000; mov $0x6ffd, %esi; mov $0x2000, %edi; mov $4, %ecx; rep movsl")).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(14);
    expect(m.field(L.S_CR2)).toBe(0x7000);
    expect(m.reg("ecx")).toBe(4);
    expect(m.reg("esi")).toBe(0x6ffd);
  });
});
