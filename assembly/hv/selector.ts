// The selector lookup of the PV hypervisor's bounce and iret paths, as src/hv/descriptor-tables.ts
// loadSelector does it (the checks the CPU makes when Xen's IRET to the guest loads CS and SS,
// SDM Vol. 3, 5.6-5.8): a guest GDT entry below PV_GDT_ENTRIES read from its set_gdt frame, or
// one of Xen's flat selectors (the reserved GDT entries from 0x1c00). An LDT selector is left to
// the host (false: the host then does the whole bounce or iret). The descriptor's accessed bit
// is not written, as the host does not write it.
import { RAM_BASE, S_PV_GDT_ENTRIES, S_PV_GDT_MFN, S_PV_SEG_END } from "../layout";
import { inRam } from "../mmu/phys";
import { descBase, descLimit } from "../priv/descriptor";

/** First entry of Xen's reserved GDT page (FIRST_RESERVED_GDT_ENTRY, 14 pages of 512). */
const FIRST_RESERVED_GDT_ENTRY: u32 = 14 * 512;
/** Xen's flat selectors (public/arch-x86/xen-x86_32.h) and their cached attributes (accessed). */
const FLAT_RING1_CS: u32 = 0xE019, FLAT_RING1_DS: u32 = 0xE021, FLAT_RING3_CS: u32 = 0xE02B, FLAT_RING3_DS: u32 = 0xE033;

export const LOAD_CS: u32 = 0;
export const LOAD_SS: u32 = 1;

/** The segment a successful pvLoadSelector found. */
export let selBase: u32 = 0;
export let selLimit: u32 = 0;
/** descriptor bits 40-55 >> 8 (without the derived bits) */
export let selAttr: u32 = 0;

/** Resolve `sel` for CS (LOAD_CS) or SS (LOAD_SS); false for a selector that would fault. */
export function pvLoadSelector(sel: u32, kind: u32): bool {
  sel &= 0xFFFF;
  if ((sel & 0xFFFC) == 0 || (sel & 4) != 0) return false;
  const index = sel >>> 3;
  if (index >= FIRST_RESERVED_GDT_ENTRY) {
    let attr: u32 = 0;
    if (sel == FLAT_RING1_CS) attr = 0xC0BB;
    else if (sel == FLAT_RING1_DS) attr = 0xC0B3;
    else if (sel == FLAT_RING3_CS) attr = 0xC0FB;
    else if (sel == FLAT_RING3_DS) attr = 0xC0F3;
    else return false;
    selBase = 0; selLimit = load<u32>(S_PV_SEG_END) - 1; selAttr = attr;
  } else {
    if (index >= load<u32>(S_PV_GDT_ENTRIES)) return false;
    const ma = load<u32>(S_PV_GDT_MFN + ((index >>> 9) << 2)) * 4096 + (index & 511) * 8;
    if (!inRam(ma, 8)) return false;
    const a = load<u32>(ma, RAM_BASE), b = load<u32>(ma + 4, RAM_BASE);
    selBase = descBase(a, b); selLimit = descLimit(a, b); selAttr = (b >>> 8) & 0xF0FF;
  }
  const attr = selAttr, rpl = sel & 3, dpl = (attr >> 5) & 3;
  const present = (attr & 0x80) != 0, s = (attr & 0x10) != 0, code = (attr & 8) != 0;
  if (!present || !s) return false;
  if (kind == LOAD_CS) {
    // A return to the same or an outer ring: non-conforming code needs DPL == RPL; never ring 0.
    if (!code || rpl == 0) return false;
    const conforming = (attr & 4) != 0;
    return conforming ? dpl <= rpl : dpl == rpl;
  }
  // A stack: a writable data segment with DPL == RPL.
  return !code && (attr & 2) != 0 && dpl == rpl;
}
