// The emulator side: one Machine, reused for every case, set up like a Linux 32-bit process on an
// x86-64 kernel: PAE paging with NX, CPL 3, flat user segments (CS 0x23, DS/ES/SS 0x2b, FS/GS
// null), a GDT with Linux's user and kernel descriptors, a TSS without an I/O bitmap, CR0 as
// Linux sets it. Each case maps its pages at the same linear addresses, runs one instruction and
// collects the same Result record as the native side.
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { Code } from "iced-x86";
import { type Case, type Result, type MemRun, PAGE_W, PAGE_X, initialPages, MAX_PAGES, REGION } from "./protocol.ts";

const PAGE = 0x1000;
// machine memory of the test machine
const PDPT = 0x1000, PD = 0x2000;
const PT_LOW = 0x3000, PT_CODE = 0x4000, PT_DATA = 0x5000, PT_SYS = 0x6000;
const GDT_MA = 0x8000, TSS_MA = 0x9000;
const SLOT_MA = 0x100000;
/** linear addresses of the system tables (supervisor pages no case touches) */
export const GDT_LIN = 0x3f000000, TSS_LIN = 0x3f001000;

const CODE32_USER = 0xc0fb, DATA32_USER = 0xc0f3;

/** Linux x86-64's GDT (arch/x86/include/asm/segment.h), entries 0-15; the TSS as a 32-bit busy TSS. */
const GDT: [number, number][] = [
  [0, 0],
  [0x0000ffff, 0x00cf9b00], // 1 KERNEL32_CS
  [0x0000ffff, 0x00af9b00], // 2 KERNEL_CS (64-bit)
  [0x0000ffff, 0x00cf9300], // 3 KERNEL_DS
  [0x0000ffff, 0x00cffb00], // 4 USER32_CS (0x23)
  [0x0000ffff, 0x00cff300], // 5 USER_DS (0x2b)
  [0x0000ffff, 0x00affb00], // 6 USER_CS (0x33, 64-bit)
  [0, 0],
  [(TSS_LIN << 16) | 0x67, (TSS_LIN & 0xff000000) | 0x8b00 | ((TSS_LIN >>> 16) & 0xff)], // 8 TSS
  [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0],
];

export type EmuOutcome = { kind: "result"; result: Result } | { kind: "unimplemented"; code: string } | { kind: "exit"; why: string };

export class Emu {
  readonly m: Machine;
  private mapped: number[] = [];
  private initial: Uint8Array[] = [];
  private caseRef: Case | undefined;

  constructor() {
    this.m = new Machine({ ramBytes: 2 << 20 });
    const m = this.m;
    const w32 = (ma: number, v: number) => { m.u32[(L.RAM_BASE + ma) >> 2] = v >>> 0; };
    // PAE: PDPT[0] → PD, PD entries for the regions → page tables (U/S and R/W are set at the
    // directory level; the leaf entries decide)
    w32(PDPT, PD | 1);
    const pde = (lin: number, pt: number) => { w32(PD + ((lin >>> 21) & 0x1ff) * 8, pt | 0x27); };
    pde(REGION.LOW.base, PT_LOW);
    pde(REGION.CODE.base, PT_CODE);
    pde(REGION.DATA.base, PT_DATA);
    pde(GDT_LIN, PT_SYS);
    const pteSys = (lin: number, ma: number) => { w32(PT_SYS + ((lin >>> 12) & 0x1ff) * 8, ma | 0x63); w32(PT_SYS + ((lin >>> 12) & 0x1ff) * 8 + 4, 0x80000000); };
    pteSys(GDT_LIN, GDT_MA);
    pteSys(TSS_LIN, TSS_MA);
    // Linux's TSS has its I/O bitmap offset beyond the limit: port access at CPL 3 raises #GP
    w32(TSS_MA + 0x64, 0x68 << 16);
    GDT.forEach(([lo, hi], i) => { w32(GDT_MA + i * 8, lo); w32(GDT_MA + i * 8 + 4, hi); });
    m.setField(L.S_GDTR_BASE, GDT_LIN);
    m.setField(L.S_GDTR_LIMIT, GDT.length * 8 - 1);
    m.setField(L.S_TR_SEL, 0x40);
    m.setField(L.S_TR_BASE, TSS_LIN);
    m.setField(L.S_TR_LIMIT, 0x67);
    m.setField(L.S_TR_ATTR, 0x8b);
    m.setField(L.S_CR3, PDPT);
    m.setField(L.S_CR4, 0x20);             // PAE
    m.setField(L.S_EFER, 0x800);           // NXE
    m.setField(L.S_CR0, 0x80050033);       // PG AM WP NE ET MP PE, as Linux
    m.setField(L.S_EXC_POLICY, 0);
  }

  /** After the host side threw mid-run: drop decoded blocks and any half-written state. */
  reset(): void {
    this.m.decoder.flushAll();
  }

  private pteAddr(lin: number): number {
    const pt = lin >= REGION.DATA.base ? PT_DATA : lin >= REGION.CODE.base ? PT_CODE : PT_LOW;
    return L.RAM_BASE + pt + ((lin >>> 12) & 0x1ff) * 8;
  }

  private resetSegments(): void {
    const m = this.m;
    m.setSegment(0, 0x2b, 0, 0xffffffff, DATA32_USER);
    m.setSegment(2, 0x2b, 0, 0xffffffff, DATA32_USER);
    m.setSegment(3, 0x2b, 0, 0xffffffff, DATA32_USER);
    m.setSegment(4, 0, 0, 0, 0);
    m.setSegment(5, 0, 0, 0, 0);
    m.setSegment(1, 0x23, 0, 0xffffffff, CODE32_USER);
    m.setCpl(3);
  }

  /** Run one case. */
  run(c: Case): EmuOutcome {
    const m = this.m;
    const u32 = m.u32;
    // unmap the previous case's pages, map this one's
    for (const lin of this.mapped) { const a = this.pteAddr(lin); u32[a >> 2] = 0; u32[(a >> 2) + 1] = 0; }
    this.mapped = [];
    this.initial = initialPages(c);
    if (c.pages.length > MAX_PAGES) throw new Error("too many pages");
    c.pages.forEach((p, i) => {
      const ma = SLOT_MA + i * PAGE;
      const a = this.pteAddr(p.addr);
      u32[a >> 2] = (ma | 0x1 | 0x4 | 0x20 | 0x40 | ((p.flags & PAGE_W) ? 0x2 : 0)) >>> 0;
      u32[(a >> 2) + 1] = (p.flags & PAGE_X) ? 0 : 0x80000000;
      this.mapped.push(p.addr);
      m.writePhys(ma, this.initial[i]);
    });
    this.caseRef = c;
    m.core.exports.tlbFlush(0);
    this.resetSegments();
    for (let r = 0; r < 8; r++) u32[(L.S_GPR >> 2) + r] = c.regs[r];
    m.eip = c.eip;
    m.eflags = c.eflags;
    m.setField(L.S_HALTED, 0);
    m.setField(L.S_CR2, 0);
    const exit = m.run(1n);
    const regs = Array.from(u32.subarray(L.S_GPR >> 2, (L.S_GPR >> 2) + 8));
    const base = { regs, eflags: m.eflags >>> 0, mem: this.memRuns() };
    switch (exit) {
      case "BUDGET":
        return { kind: "result", result: { ...base, eip: m.eip, vector: -1, err: 0, cr2: 0 } };
      case "EXCEPTION": {
        let vector = m.field(L.S_EXC_VECTOR), err = m.field(L.S_EXC_HAS_CODE) ? m.field(L.S_EXC_CODE) : 0;
        let eip = m.eip;
        const kind = m.field(L.S_EXC_KIND);
        // Linux's IDT: only the INT3, INTO and system-call gates have DPL 3; INT n through any
        // other gate raises #GP(n*8+2) at the INT instruction (SDM Vol. 3, 6.12.1.1).
        if (kind === 2 && vector !== 3 && vector !== 4 && vector !== 0x80) {
          err = vector * 8 + 2; vector = 13; eip = c.eip;
        }
        return { kind: "result", result: { ...base, eip, vector, err, cr2: vector === 14 ? m.field(L.S_CR2) : 0 } };
      }
      case "INTERNAL":
        if (m.field(L.S_EXIT_ARG) === 2) return { kind: "unimplemented", code: Code[m.field(L.S_EXIT_ARG + 4)] ?? "?" };
        return { kind: "exit", why: `INTERNAL exit (arg ${m.field(L.S_EXIT_ARG)})` };
      default:
        return { kind: "exit", why: `${exit} exit at EIP 0x${m.eip.toString(16)}` };
    }
  }

  /** Changed bytes of every page of the case (read-only pages included: they must not change). */
  private memRuns(): MemRun[] {
    const c = this.caseRef!;
    const runs: MemRun[] = [];
    const u8 = this.m.u8, u32 = this.m.u32;
    c.pages.forEach((p, i) => {
      const start = L.RAM_BASE + SLOT_MA + i * PAGE;
      const init = this.initial[i];
      const init32 = new Uint32Array(init.buffer, init.byteOffset, PAGE / 4);
      const w0 = start >> 2;
      let k = 0;
      while (k < PAGE) {
        if ((k & 3) === 0 && u32[w0 + (k >> 2)] === init32[k >> 2]) { k += 4; continue; }
        if (u8[start + k] === init[k]) { k++; continue; }
        const j0 = k;
        while (k < PAGE && u8[start + k] !== init[k]) k++;
        runs.push({ addr: p.addr + j0, bytes: Array.from(u8.subarray(start + j0, start + k)) });
      }
    });
    return runs.sort((a, b) => a.addr - b.addr);
  }
}
