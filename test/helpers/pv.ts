// A minimal hand-built PV domain for hypervisor tests (the full domain builder is src/boot's):
// paging on with the guest's own tables, the kernel in ring 1 on the flat selectors, pseudo-
// physical frames scattered over machine memory (mfn = 0x100 + (pfn ^ 0x55)).
//
// Virtual layout (virt = 0xC0000000 + pfn * 4096):
//   pfn 1..        code (assembled at 0xC0001000)
//   pfn 256..      DATA: free for the test's results and buffers (0xC0100000)
//   pfn 494        CONSOLE ring page (start_info.console.domU.mfn), event channel 2
//   pfn 496        boot stack (ESP starts at the top, 0xC01F1000)
//   pfn 500-502    L3 (PAE) or page directory (classic), L2, L1 — mapped read-only
//   0xC01FF000     shared_info (machine frame SHARED_INFO_MFN, replacing pfn 511's mapping)
//   0xC0200000+    unmapped
import { Machine } from "../../src/core/machine.ts";
import { L } from "../../src/core/layout.gen.ts";
import { Domain, type Layout } from "../../src/hv/domain.ts";
import { FLAT_RING1_CS, FLAT_RING1_DS } from "../../src/hv/abi.ts";
import { flatSegment } from "../../src/hv/descriptor-tables.ts";
import { runDomain, type RunResult } from "../../src/hv/hypervisor.ts";
import { assemble } from "./asm.ts";

export const VIRT_BASE = 0xc0000000;
export const CODE = 0xc0001000;
export const DATA = 0xc0100000;
export const CONSOLE_PFN = 494;
export const CONSOLE_VA = VIRT_BASE + CONSOLE_PFN * 4096;
export const CONSOLE_EVTCHN = 2;
export const STORE_EVTCHN = 1;
export const STACK_TOP = VIRT_BASE + 497 * 4096;
export const SHARED_INFO_VA = 0xc01ff000;
export const SHARED_INFO_MFN = 0x80;
export const NR_PAGES = 512;
export const PT_PFNS = [500, 501, 502];
/** Free machine frames the domain builder would hand out for Xen-heap pages (grant tables). */
export const SPARE_MFNS = [0x90, 0x91, 0x92, 0x93];

export const mfnOf = (pfn: number): number => 0x100 + (pfn ^ 0x55);
export const va = (pfn: number): number => VIRT_BASE + pfn * 4096;

export interface PvTest {
  m: Machine;
  d: Domain;
  out: string[];
  run(maxInsns?: bigint): RunResult;
}

export interface PvOptions {
  layout?: Layout;
  /** map these pfns user-accessible (U), for ring-3 code and stacks */
  userPfns?: number[];
}

/** Build a domain running `source` (AT&T, ring 1) at CODE. */
export function pvDomain(source: string, opts: PvOptions | Layout = {}): PvTest {
  const { layout = "pae", userPfns = [] } = typeof opts === "string" ? { layout: opts } : opts;
  const m = new Machine({ ramBytes: 4 << 20 });
  const w64 = (ma: number, lo: number, hi = 0) => {
    if (layout === "pae") { m.core.dv.setUint32(L.RAM_BASE + ma, lo >>> 0, true); m.core.dv.setUint32(L.RAM_BASE + ma + 4, hi, true); }
    else m.core.dv.setUint32(L.RAM_BASE + ma, lo >>> 0, true);
  };
  const esz = layout === "pae" ? 8 : 4;
  const [topPfn, l2Pfn, l1Pfn] = PT_PFNS;
  const l1 = mfnOf(l1Pfn) * 4096;
  if (layout === "pae") {
    w64(mfnOf(topPfn) * 4096 + 3 * 8, mfnOf(l2Pfn) * 4096 | 0x67);
    w64(mfnOf(l2Pfn) * 4096 + ((VIRT_BASE >>> 21) & 511) * 8, l1 | 0x67);
  } else {
    w64(mfnOf(topPfn) * 4096 + (VIRT_BASE >>> 22) * 4, l1 | 0x67);
  }
  for (let pfn = 0; pfn < 511; pfn++) {
    const ro = PT_PFNS.includes(pfn);
    w64(l1 + pfn * esz, mfnOf(pfn) * 4096 | (ro ? 0x21 : 0x23) | (userPfns.includes(pfn) ? 4 : 0));
  }
  w64(l1 + 511 * esz, SHARED_INFO_MFN * 4096 | 0x23);
  const code = assemble(source, CODE);
  for (let off = 0; off < code.length; off += 4096) {
    m.writePhys(mfnOf(1 + off / 4096) * 4096, code.subarray(off, off + 4096));
  }
  m.setField(L.S_CR0, 0x80010011);
  m.setField(L.S_CR4, layout === "pae" ? 0x20 : 0);
  m.setField(L.S_CR3, mfnOf(topPfn) * 4096);
  const out: string[] = [];
  const spare = [...SPARE_MFNS];
  const d = new Domain(m, {
    layout,
    mfns: Array.from({ length: NR_PAGES }, (_, pfn) => mfnOf(pfn)),
    sharedInfoMfn: SHARED_INFO_MFN,
    console: { mfn: mfnOf(CONSOLE_PFN), evtchn: CONSOLE_EVTCHN },
    storeEvtchn: STORE_EVTCHN,
    output: (t) => out.push(t),
    allocFrame: () => spare.shift() ?? null,
  });
  const cs = flatSegment(d, FLAT_RING1_CS)!, ds = flatSegment(d, FLAT_RING1_DS)!;
  for (const s of [0, 2, 3, 4, 5]) m.setSegment(s, ds.sel, ds.base, ds.limit, ds.attr);
  m.setSegment(1, cs.sel, cs.base, cs.limit, cs.attr);
  m.setCpl(1);
  m.eflags = 0x202;
  m.eip = CODE;
  m.setReg("esp", STACK_TOP);
  d.vcpu.kernelSs = FLAT_RING1_DS;
  d.vcpu.kernelSp = STACK_TOP;
  return { m, d, out, run: (maxInsns = 10_000_000n) => runDomain(d, maxInsns) };
}

/** Assembler macros for test guests: hypercalls and the result area (through SS, always loaded). */
export const PRELUDE = `
.macro HYPERCALL nr
  movl $\\nr, %eax
  int $0x82
.endm
/* store EAX at DATA + 4*slot */
.macro RESULT slot
  movl %eax, %ss:${DATA} + 4*\\slot
.endm
/* HYPERVISOR_iret to ring 3 at \\target with ESP = \\esp (frame EAX EIP CS EFLAGS ESP SS;
 * FLAT_USER_CS/DS, IF set) */
.macro IRET_TO_USER target, esp=0xc01f0800
  pushl $0xe033
  pushl $\\esp
  pushl $0x202
  pushl $0xe02b
  pushl $\\target
  pushl $0
  HYPERCALL 23
.endm
.macro SHUTDOWN reason
  movl $\\reason, %ss:${DATA} + 0xff0
  movl $2, %ebx
  movl $${DATA + 0xff0}, %ecx
  HYPERCALL 29
.endm
`;
