// --trace: each instruction, before it executes, as iced-x86 formats it (GNU syntax) with the
// registers at that moment:
//
//   #12 0008:00100013  66 b8 10 00        mov $0x10,%ax   eax=2badb002 ecx=… efl=00000002
//
// The instruction bytes are found with a read-only page walk (no TLB fill, no A/D bits set, no
// fault raised), so tracing does not change what the guest sees.
import { icedPackage } from "../decode/iced.ts";
import { L } from "../core/layout.gen.ts";
import type { Machine } from "../core/machine.ts";

const CR0_PG = 1 << 31, CR4_PSE = 1 << 4, CR4_PAE = 1 << 5;

/** Linear → machine address by walking the guest's page tables without side effects, or -1. */
export function peekTranslate(m: Machine, lin: number): number {
  const cr0 = m.field(L.S_CR0), cr3 = m.field(L.S_CR3), cr4 = m.field(L.S_CR4);
  const ram = m.ramBytes;
  const rd32 = (ma: number) => (ma + 4 <= ram ? m.core.dv.getUint32(L.RAM_BASE + ma, true) : 0);
  lin >>>= 0;
  if (!(cr0 & CR0_PG)) return lin < ram ? lin : -1;
  if (cr4 & CR4_PAE) {
    // PAE: PDPTE (bits 31-30), PDE (29-21), PTE (20-12); entries are 8 bytes, the high half
    // holds address bits above 4 GiB (none in this machine)
    const pdpte = rd32((cr3 & ~0x1f) + (lin >>> 30) * 8);
    if (!(pdpte & 1)) return -1;
    const pde = rd32((pdpte & ~0xfff) + ((lin >>> 21) & 0x1ff) * 8);
    if (!(pde & 1)) return -1;
    if (pde & 0x80) return ((pde & 0xffe00000) | (lin & 0x1fffff)) >>> 0;
    const pte = rd32((pde & ~0xfff) + ((lin >>> 12) & 0x1ff) * 8);
    return pte & 1 ? ((pte & ~0xfff) | (lin & 0xfff)) >>> 0 : -1;
  }
  const pde = rd32((cr3 & ~0xfff) + (lin >>> 22) * 4);
  if (!(pde & 1)) return -1;
  if (pde & 0x80 && cr4 & CR4_PSE) return ((pde & 0xffc00000) | (lin & 0x3fffff)) >>> 0;
  const pte = rd32((pde & ~0xfff) + ((lin >>> 12) & 0x3ff) * 4);
  return pte & 1 ? ((pte & ~0xfff) | (lin & 0xfff)) >>> 0 : -1;
}

const hex8 = (v: number) => (v >>> 0).toString(16).padStart(8, "0");
const REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] as const;

export class Tracer {
  // the package's own decoder: its formatter takes the package's Instruction
  private readonly iced = icedPackage();
  private readonly formatter = (() => {
    const f = new this.iced.Formatter(this.iced.FormatterSyntax.Gas);
    f.uppercaseHex = false; // as objdump prints
    return f;
  })();
  /** instructions traced so far */
  count = 0;

  /** `limit`: how many instructions to trace (Infinity: all); `out` receives one line each */
  constructor(readonly limit: number, private readonly out: (line: string) => void) {}

  get done(): boolean { return this.count >= this.limit; }

  /** Trace the instruction at CS:EIP, before it executes. */
  line(m: Machine): void {
    const cs = m.field(L.S_SEG_SEL + 4), eip = m.eip;
    const d32 = (m.field(L.S_SEG_ATTR + 4) >> 14) & 1;
    const lin = (m.field(L.S_SEG_BASE + 4) + eip) >>> 0;
    const bytes: number[] = [];
    for (let i = 0; i < 15; i++) {
      const ma = peekTranslate(m, lin + i);
      if (ma < 0) break;
      bytes.push(m.u8[L.RAM_BASE + ma]);
    }
    let text = "(not mapped)", shown = "";
    if (bytes.length > 0) {
      const decoder = new this.iced.Decoder(d32 ? 32 : 16, new Uint8Array(bytes), this.iced.DecoderOptions.None);
      decoder.ip = BigInt(eip);
      const instr = decoder.decode();
      text = instr.isInvalid ? "(bad)" : this.formatter.format(instr);
      shown = bytes.slice(0, instr.isInvalid ? 1 : instr.length).map((b) => b.toString(16).padStart(2, "0")).join(" ");
      instr.free();
      decoder.free();
    }
    const regs = REGS.map((r) => `${r}=${hex8(m.reg(r))}`).join(" ");
    this.out(`#${m.instructions} ${cs.toString(16).padStart(4, "0")}:${hex8(eip)}  ${shown.padEnd(24)} ${text.padEnd(32)} ${regs} efl=${hex8(m.eflags)}`);
    this.count++;
  }
}
