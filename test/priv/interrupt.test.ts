// Delivery through the IDT (SDM Vol. 3, 6.10-6.15; Vol. 2, INT n).
import { describe, it, expect } from "vitest";
import { L } from "../../src/core/layout.gen.ts";
import type { Machine } from "../../src/core/machine.ts";
import {
  runProt, setIdt, setGdt, gateDesc, segDesc, read32, write32, writeDesc, KCODE, KDATA, UCODE, UDATA, SPARE, TSS,
} from "../helpers/desc.ts";

const INT_GATE = 14, TRAP_GATE = 15;
const HANDLER = 0x1100;
const ring3 = (m: Machine) => {
  m.setSegment(1, UCODE, 0, 0xffffffff, 0xc0fb);
  for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, UDATA, 0, 0xffffffff, 0xc0f3);
  m.setCpl(3);
  m.setReg("esp", 0x7000);
};
const seg = (m: Machine, s: number) => m.field(L.S_SEG_SEL + 4 * s);
const writeDescAt = (m: Machine, ma: number, d: [number, number]) => writeDesc(m, ma, 0, d);
const fault = (m: Machine, v: number) => m.u64Field(L.S_FAULT_COUNTS + 8 * v);

describe("interrupt and trap gates", () => {
  it("INT n at ring 0 through an interrupt gate: EFLAGS, CS, EIP frame; IF cleared", () => {
    const { m, exit } = runProt(`
      sti
      int $0x30
      .org 0x100
      hlt`, (m) => setIdt(m, 0x30, gateDesc(KCODE, HANDLER, INT_GATE, 0)));
    expect(exit).toBe("HLT");
    expect(m.eip).toBe(HANDLER + 1);
    expect(m.reg("esp")).toBe(0x8000 - 12);
    expect(read32(m, 0x8000 - 12)).toBe(0x1003); // EIP after the INT
    expect(read32(m, 0x8000 - 8)).toBe(KCODE);
    expect(read32(m, 0x8000 - 4)).toBe(0x202); // IF was set
    expect(m.eflags & 0x200).toBe(0);
  });

  it("a trap gate leaves IF set", () => {
    const { m } = runProt(`sti; int $0x30; .org 0x100; hlt`,
      (m) => setIdt(m, 0x30, gateDesc(KCODE, HANDLER, TRAP_GATE, 0)));
    expect(m.eflags & 0x200).toBe(0x200);
  });

  it("INT n from ring 3 switches to SS0:ESP0 from the TSS and pushes SS, ESP, EFLAGS, CS, EIP", () => {
    const { m, exit } = runProt(`int $0x80; .org 0x100; hlt`, (m) => {
      setIdt(m, 0x80, gateDesc(KCODE, HANDLER, INT_GATE, 3));
      ring3(m);
    });
    expect(exit).toBe("HLT");
    expect(m.field(L.S_CPL)).toBe(0);
    expect(seg(m, 1)).toBe(KCODE);
    expect(seg(m, 2)).toBe(KDATA);
    expect(m.reg("esp")).toBe(0x9000 - 20);
    expect([0, 4, 8, 12, 16].map((o) => read32(m, 0x9000 - 20 + o))).toEqual([0x1002, UCODE, 0x2, 0x7000, UDATA]);
  });

  it("INT n from ring 3 through a DPL 0 gate: #GP(vector*8 + 2), EIP at the INT", () => {
    const { m } = runProt(`int $0x40; .org 0x100; hlt`, (m) => {
      setIdt(m, 0x40, gateDesc(KCODE, 0x1200, INT_GATE, 0));
      setIdt(m, 13, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      ring3(m);
    });
    expect(m.eip).toBe(HANDLER + 1);
    // error code, EIP, CS, EFLAGS, ESP, SS
    expect(read32(m, 0x9000 - 24)).toBe(0x40 * 8 + 2);
    expect(read32(m, 0x9000 - 20)).toBe(0x1000);
  });

  it("a not-present gate: #NP(vector*8 + 2 + EXT) for an exception, without EXT for INT n", () => {
    const a = runProt(`int $0x41; .org 0x100; hlt`, (m) => {
      setIdt(m, 0x41, gateDesc(KCODE, 0x1200, INT_GATE, 0, false));
      setIdt(m, 11, gateDesc(KCODE, HANDLER, INT_GATE, 0));
    }).m;
    expect(read32(a, 0x8000 - 16)).toBe(0x41 * 8 + 2);
    const b = runProt(`.byte 0x0f, 0x20, 0xc8; .org 0x100; hlt`, (m) => {
      setIdt(m, 6, gateDesc(KCODE, 0x1200, INT_GATE, 0, false));
      setIdt(m, 11, gateDesc(KCODE, HANDLER, INT_GATE, 0));
    }).m;
    expect(read32(b, 0x8000 - 16)).toBe(6 * 8 + 3);
    expect(read32(b, 0x8000 - 12)).toBe(0x1000);
  });

  it("a vector past the IDT limit: #GP(vector*8 + 2)", () => {
    const { m } = runProt(`int $0x50; .org 0x100; hlt`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      m.setField(L.S_IDTR_LIMIT, 0x50 * 8 + 6);
    });
    expect(read32(m, 0x8000 - 16)).toBe(0x50 * 8 + 2);
  });

  it("exceptions push an error code when Table 6-1 says so; faults push RF and the faulting EIP", () => {
    const { m } = runProt(`mov $0, %ax; mov %ax, %ss; .org 0x100; hlt`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, HANDLER, INT_GATE, 0));
    });
    expect(read32(m, 0x8000 - 16)).toBe(0); // #GP(0): SS = null
    expect(read32(m, 0x8000 - 12)).toBe(0x1004);
    expect(read32(m, 0x8000 - 4) & 0x10000).toBe(0x10000);
  });

  it("an interrupt gate to a conforming segment from ring 3 stays at CPL 3 on the same stack", () => {
    const { m } = runProt(`int $0x80; .org 0x100; hlt`, (m) => {
      setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e)); // conforming code, DPL 0
      setIdt(m, 0x80, gateDesc(SPARE, 0x1200, INT_GATE, 3));
      setIdt(m, 13, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      m.writePhys(0x1200, new Uint8Array([0x0f, 0x20, 0xc8])); // mov %cr1, %eax: #UD
      setIdt(m, 6, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      ring3(m);
    });
    // INT 0x80's frame is on the ring 3 stack; #UD, raised at CPL 3 in the conforming handler
    // (CS = SPARE | 3), then switches to ring 0.
    expect(read32(m, 0x7000 - 12)).toBe(0x1002);
    expect(read32(m, 0x7000 - 8)).toBe(UCODE);
    expect(read32(m, 0x9000 - 16)).toBe(SPARE | 3);
    expect(read32(m, 0x9000 - 20)).toBe(0x1200);
  });

  it("bad TSS.SS0: #TS(SS0 selector), EXT set while delivering an exception", () => {
    // the handler runs at CPL 3 (conforming): it spins instead of HLT
    const { m } = runProt(`.byte 0x0f, 0x20, 0xc8; .org 0x100; jmp .`, (m) => {
      setIdt(m, 6, gateDesc(KCODE, 0x1200, INT_GATE, 0));
      setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e));
      setIdt(m, 10, gateDesc(SPARE, HANDLER, INT_GATE, 0)); // conforming: runs at CPL 3
      write32(m, TSS + 8, UDATA & ~3);
      ring3(m);
    });
    expect(m.eip).toBe(HANDLER);
    expect(read32(m, 0x7000 - 16)).toBe((UDATA & ~3) | 1);
    expect(read32(m, 0x7000 - 12)).toBe(0x1000);
  });
});

describe("double and triple faults (SDM Vol. 3, 6.15, Table 6-5)", () => {
  it("#NP while delivering #GP (both contributory): #DF(0) with the faulting EIP", () => {
    const { m } = runProt(`mov $0, %ax; mov %ax, %ss; .org 0x100; hlt`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, 0x1200, INT_GATE, 0, false));
      setIdt(m, 8, gateDesc(KCODE, HANDLER, INT_GATE, 0));
    });
    expect(m.eip).toBe(HANDLER + 1);
    expect(read32(m, 0x8000 - 16)).toBe(0);
    expect(read32(m, 0x8000 - 12)).toBe(0x1004);
    expect(fault(m, 8)).toBe(1n);
  });

  it("#PF while delivering #PF: #DF", () => {
    // Ring 3 reads an unmapped page; pushing the #PF frame on the ring 0 stack (page 8, not
    // present) page-faults; #DF goes through a conforming segment, so it stays on the ring 3 stack.
    const { m } = runProt(`movl (0x400000), %eax; .org 0x100; jmp .`, (m) => {
      write32(m, 0x20000, 0x21000 | 7);
      for (let i = 0; i < 1024; i++) write32(m, 0x21000 + 4 * i, i === 8 ? 0 : (i << 12) | 7);
      m.setField(L.S_CR3, 0x20000);
      m.setField(L.S_CR0, 0x80000011);
      setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e));
      setIdt(m, 14, gateDesc(KCODE, 0x1200, INT_GATE, 0));
      setIdt(m, 8, gateDesc(SPARE, HANDLER, INT_GATE, 0));
      ring3(m);
    });
    expect(m.eip).toBe(HANDLER);
    expect(fault(m, 14)).toBe(2n);
    expect(m.field(L.S_CR2)).toBe(0x8ffc); // the second #PF: pushing the first one's frame
    expect(read32(m, 0x7000 - 16)).toBe(0); // #DF(0)
    expect(read32(m, 0x7000 - 12)).toBe(0x1000);
  });

  it("a benign exception while delivering another is delivered serially", () => {
    // #UD's gate points to code that is fine; #GP then #UD? Use #NP delivering INT3 (benign).
    const { m } = runProt(`int3; .org 0x100; hlt`, (m) => {
      setIdt(m, 3, gateDesc(KCODE, 0x1200, INT_GATE, 3, false));
      setIdt(m, 11, gateDesc(KCODE, HANDLER, INT_GATE, 0));
    });
    expect(m.eip).toBe(HANDLER + 1);
    expect(read32(m, 0x8000 - 16)).toBe(3 * 8 + 2);
    expect(read32(m, 0x8000 - 12)).toBe(0x1000);
  });

  it("a fault while delivering #DF: triple fault, the run ends with SHUTDOWN", () => {
    const { exit, m } = runProt(`mov $0, %ax; mov %ax, %ss; hlt`, (m) => {
      setIdt(m, 13, gateDesc(KCODE, 0x1200, INT_GATE, 0, false));
    });
    expect(exit).toBe("SHUTDOWN");
    expect(m.field(L.S_EXIT_ARG)).toBe(1);
  });
});

describe("external interrupts", () => {
  it("INTERRUPT exit, then raiseInterrupt delivers with EXT frame at the instruction boundary", () => {
    const { m, exit } = runProt(`sti; nop; nop; .org 0x100; hlt`, (m) => {
      setIdt(m, 0x20, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      m.setField(L.S_INTR_PENDING, 1);
    });
    expect(exit).toBe("INTERRUPT");
    // STI's shadow: the NOP after STI has run
    expect(m.eip).toBe(0x1002);
    m.setField(L.S_INTR_PENDING, 0);
    m.raiseInterrupt(0x20);
    expect(m.run(1000n)).toBe("HLT");
    expect(m.eip).toBe(HANDLER + 1);
    expect(read32(m, 0x8000 - 12)).toBe(0x1002);
    expect(read32(m, 0x8000 - 4) & 0x10200).toBe(0x200);
  });

  it("MOV SS holds interrupts off for one instruction", () => {
    const { m, exit } = runProt(`sti; nop; mov %ax, %ss; nop; nop; hlt`, (m) => {
      m.setReg("eax", KDATA);
    }, 2n);
    expect(exit).toBe("BUDGET");
    m.setField(L.S_INTR_PENDING, 1);
    expect(m.run(100n)).toBe("INTERRUPT");
    expect(m.eip).toBe(0x1002); // before MOV SS: the check is at the boundary
    m.setField(L.S_INTR_PENDING, 0);
    expect(m.run(1n)).toBe("BUDGET");
    m.setField(L.S_INTR_PENDING, 1);
    expect(m.run(100n)).toBe("INTERRUPT");
    expect(m.eip).toBe(0x1005); // MOV SS and the NOP after it
  });
});

describe("delivery's memory accesses at page boundaries", () => {
  /** Paging on: identity map of the first 4 MiB, every page but `absent` present (user, writable). */
  const paged = (m: Machine, absent: number[]) => {
    write32(m, 0x20000, 0x21000 | 7);
    for (let i = 0; i < 1024; i++) write32(m, 0x21000 + 4 * i, absent.includes(i) ? 0 : (i << 12) | 7);
    m.setField(L.S_CR3, 0x20000);
    m.setField(L.S_CR0, 0x80000011);
  };

  it("a gate that straddles two pages is read low half first: #PF at the second page", () => {
    // IDTR base 0x2f04: gate 0x1f is 0x2ffc..0x3003, its high half on page 3 (not present).
    const { m } = runProt(`int $0x1f; .org 0x100; hlt`, (m) => {
      m.writePhys(0x2f04 + 0x1f * 8, new Uint8Array(8));
      m.setField(L.S_IDTR_BASE, 0x2f04);
      for (let v = 0; v < 0x1f; v++) writeDescAt(m, 0x2f04 + v * 8, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      paged(m, [3]);
    });
    // The #PF (raised while delivering INT n: benign) is delivered with the INT's EIP.
    expect(m.eip).toBe(HANDLER + 1);
    expect(m.field(L.S_CR2)).toBe(0x3000);
    expect(read32(m, 0x8000 - 16)).toBe(0); // supervisor read of a not-present page
    expect(read32(m, 0x8000 - 12)).toBe(0x1000);
  });

  it("a straddling gate on present pages is delivered", () => {
    const { m } = runProt(`int $0x1f; .org 0x100; hlt`, (m) => {
      m.setField(L.S_IDTR_BASE, 0x2f04);
      writeDescAt(m, 0x2f04 + 0x1f * 8, gateDesc(KCODE, HANDLER, INT_GATE, 0));
      paged(m, []);
    });
    expect(m.eip).toBe(HANDLER + 1);
    expect(read32(m, 0x8000 - 12)).toBe(0x1002);
  });

  it("a frame that runs off its stack page into a not-present one: #PF there, nothing committed", () => {
    // Ring 3 INT n onto ESP0 = 0x9008: SS and ESP fit on page 9, EFLAGS goes to 0x8ffc (page 8,
    // not present). The #PF goes through a conforming gate: it stays at ring 3, on its stack.
    const { m } = runProt(`int $0x80; .org 0x100; jmp .`, (m) => {
      setIdt(m, 0x80, gateDesc(KCODE, 0x1200, INT_GATE, 3));
      setGdt(m, SPARE, segDesc(0, 0xfffff, 0x9e));
      setIdt(m, 14, gateDesc(SPARE, HANDLER, INT_GATE, 0));
      write32(m, TSS + 4, 0x9008);
      paged(m, [8]);
      ring3(m);
    });
    expect(m.eip).toBe(HANDLER);
    expect(m.field(L.S_CR2)).toBe(0x8ffc);
    expect(seg(m, 2)).toBe(UDATA);
    expect(m.reg("esp")).toBe(0x7000 - 16);
    expect(read32(m, 0x7000 - 16)).toBe(2); // supervisor write, not present
    expect(read32(m, 0x7000 - 12)).toBe(0x1000);
    expect(read32(m, 0x7000 - 8)).toBe(UCODE);
  });

  it("a frame pushed over decoded code invalidates it", () => {
    // The RET at 0x11fc runs (decoded), then the INT's frame is pushed over it.
    const { m } = runProt(`
      call 0x11fc
      mov $0x1208, %esp
      int $0x30
      .org 0x100
      hlt
      .org 0x1fc
      ret`, (m) => setIdt(m, 0x30, gateDesc(KCODE, HANDLER, INT_GATE, 0)));
    expect(m.eip).toBe(HANDLER + 1);
    expect(read32(m, 0x11fc)).toBe(0x100c);
    expect(m.u64Field(L.S_BLOCKS_INVALIDATED)).toBe(1n);
  });
});

describe("frame shapes", () => {
  it("a 16-bit interrupt gate pushes FLAGS, CS, IP as words; IRETW returns", () => {
    const { m, exit } = runProt(`int $0x30; hlt; .org 0x100; iretw`,
      (m) => setIdt(m, 0x30, gateDesc(KCODE, HANDLER, 6, 0)));
    expect(exit).toBe("HLT");
    expect(m.eip).toBe(0x1003);
    expect(m.reg("esp")).toBe(0x8000);
    expect(read32(m, 0x8000 - 8) >>> 16).toBe(0x1002); // IP
    expect(read32(m, 0x8000 - 4) & 0xffff).toBe(KCODE);
  });

  it("ring 3 INT n onto an expand-down ring 0 stack: the frame below ESP0", () => {
    const { m, exit } = runProt(`int $0x80; .org 0x100; hlt`, (m) => {
      setIdt(m, 0x80, gateDesc(KCODE, HANDLER, INT_GATE, 3));
      setGdt(m, SPARE, segDesc(0, 0x7, 0x96)); // expand-down, writable, DPL 0; G: valid from 0x8000
      write32(m, TSS + 8, SPARE);
      ring3(m);
    });
    expect(exit).toBe("HLT");
    expect(seg(m, 2)).toBe(SPARE);
    expect(m.reg("esp")).toBe(0x9000 - 20);
    expect([0, 4, 8, 12, 16].map((o) => read32(m, 0x9000 - 20 + o))).toEqual([0x1002, UCODE, 0x2, 0x7000, UDATA]);
  });

  it("a frame that reaches an expand-down stack's limit: #SS(SS selector), nothing committed", () => {
    const { m } = runProt(`int $0x80; .org 0x100; jmp .`, (m) => {
      setIdt(m, 0x80, gateDesc(KCODE, 0x1200, INT_GATE, 3));
      setGdt(m, SPARE, segDesc(0, 0x7, 0x96));
      setGdt(m, SPARE + 8, segDesc(0, 0xfffff, 0x9e)); // conforming: the #SS handler stays at ring 3
      setIdt(m, 12, gateDesc(SPARE + 8, HANDLER, INT_GATE, 0));
      write32(m, TSS + 4, 0x8010);
      write32(m, TSS + 8, SPARE);
      ring3(m);
    });
    expect(m.eip).toBe(HANDLER);
    expect(seg(m, 2)).toBe(UDATA);
    expect(read32(m, 0x7000 - 16)).toBe(SPARE); // #SS(SS0), EXT = 0 (INT n)
    expect(read32(m, 0x7000 - 12)).toBe(0x1000);
  });
});
