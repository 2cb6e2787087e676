// The fast system-call path (Xen x86_32 traps.c init_int80_direct_trap): a trap-table entry for
// vector 0x80 with DPL 3 and no event masking becomes a real trap gate in the emulated IDT, so
// `int $0x80` from ring 3 enters the ring-1 kernel through the CPU alone — no hypervisor entry.
// The core does this under EXC_POLICY 2 for vectors the hypervisor opens in SOFT_INT_DIRECT;
// everything else still exits. The stack switch to ring 1 takes SS1:ESP1 from a TSS the hypervisor
// keeps equal to the stack_switch stack, as Xen's do_stack_switch writes tss->ss1/esp1.
//
// Where the tables live: the IDT in the upper half of Xen's reserved GDT page (only gates are
// written there, which no segment load accepts), the TSS in its own frame mapped right after the
// GDT in the per-domain area, beyond the GDT limit and above every guest segment's end.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { FIRST_RESERVED_GDT_PAGE } from "./abi.ts";
import { loadSelector } from "./descriptor-tables.ts";

export const INT80 = 0x80;
/** IDT offset within the reserved GDT page, and its limit (256 gates). */
const IDT_OFFSET = 2048, IDT_LIMIT = 256 * 8 - 1;
/** Per-domain page index of the TSS: right after the 15 GDT pages. */
const TSS_PAGE = FIRST_RESERVED_GDT_PAGE + 1;
const TSS_LIMIT = 0x67, TSS_ESP1 = 0x0c, TSS_SS1 = 0x10, TSS_IOMAP = 0x66;
/** Busy 32-bit TSS, present (descriptor bits 40-47). */
const TSS_ATTR = 0x8b;
/** Xen's __PAGE_HYPERVISOR: present, writable, accessed, dirty, supervisor. */
const PAGE_HYPERVISOR = 0x63;
/** 32-bit trap gate, DPL 3, present. */
const TRAP_GATE_DPL3 = 0xef00;
const TI_IF = 4;

export class DirectTrap {
  private constructor(private readonly d: Domain, private readonly idtMa: number, private readonly tssMa: number) {}

  /** Set up the IDT and TSS if the builder's hypervisor area and a frame allocator are there. */
  static setup(d: Domain, allocFrame?: () => number | null): DirectTrap | undefined {
    const hv = d.hvArea;
    if (hv?.perdomainL1 === undefined || hv.gdtReserved === undefined || !hv.layout || !allocFrame) return undefined;
    const tssMfn = allocFrame();
    if (tssMfn === null) return undefined;
    d.adoptXenFrame(tssMfn, false);
    const pte = tssMfn * 4096 + PAGE_HYPERVISOR;
    const l1 = hv.perdomainL1 * 4096 + TSS_PAGE * hv.layout.pteBytes;
    if (hv.layout.pteBytes === 8) d.writeMachineU64(l1, pte, 0); else d.writeMachineU32(l1, pte);
    const gdtLin = hv.layout.gdtVirtStart, m = d.machine;
    m.setField(L.S_IDTR_BASE, gdtLin + FIRST_RESERVED_GDT_PAGE * 4096 + IDT_OFFSET);
    m.setField(L.S_IDTR_LIMIT, IDT_LIMIT);
    m.setField(L.S_TR_SEL, 0);
    m.setField(L.S_TR_BASE, gdtLin + TSS_PAGE * 4096);
    m.setField(L.S_TR_LIMIT, TSS_LIMIT);
    m.setField(L.S_TR_ATTR, TSS_ATTR);
    // No I/O bitmap: the map base lies past the limit, so IN/OUT at ring 1 fault (and are emulated).
    d.machine.core.dv.setUint16(L.RAM_BASE + tssMfn * 4096 + TSS_IOMAP, TSS_LIMIT + 1, true);
    m.setField(L.S_EXC_POLICY, 2);
    const t = new DirectTrap(d, hv.gdtReserved * 4096 + IDT_OFFSET, tssMfn * 4096);
    t.syncStack();
    return t;
  }

  /** stack_switch: the ring-1 stack a direct trap from ring 3 switches to. */
  syncStack(): void {
    const v = this.d.vcpu;
    this.d.writeMachineU32(this.tssMa + TSS_ESP1, v.kernelSp);
    this.d.writeMachineU32(this.tssMa + TSS_SS1, v.kernelSs & 0xffff);
  }

  /** set_trap_table: open the gate for int $0x80 when Xen would (DPL 3, no event mask, good CS). */
  syncInt80(): void {
    const ti = this.d.vcpu.trapTable[INT80];
    const open = ti !== undefined && (ti.flags & 3) === 3 && !(ti.flags & TI_IF) && loadSelector(this.d, ti.cs, "cs") !== null && (ti.cs & 3) === 1;
    const gate = open ? [((ti.cs << 16) | (ti.address & 0xffff)) >>> 0, ((ti.address & 0xffff0000) | TRAP_GATE_DPL3) >>> 0] : [0, 0];
    this.d.writeMachineU64(this.idtMa + INT80 * 8, gate[0], gate[1]);
    const word = L.S_SOFT_INT_DIRECT + (INT80 >> 5) * 4, bit = 1 << (INT80 & 31);
    const m = this.d.machine;
    m.setField(word, open ? m.field(word) | bit : m.field(word) & ~bit);
  }
}
