// Loading segment registers in protected mode (SDM Vol. 3, 5.4-5.8; Vol. 2, MOV and POP): the
// checks and faults of a data or stack segment load, the hidden-cache update, and the CS/CPL
// switch that far transfers, interrupts and IRET share.
import {
  S_SEG_SEL, S_SEG_BASE, S_SEG_LIMIT, S_SEG_ATTR, S_CPL, S_MODE, S_CR0, SR_CS, SR_SS, S_JIT_SEG_BOUND, S_JIT_SEG_DIRTY,
} from "../layout";
import {
  cpl, segAttr, ATTR_TYPE_CODE, ATTR_TYPE_EXPAND_DOWN, ATTR_USABLE, ATTR_DPL_SHIFT, ATTR_DB,
  ATTR_FAST_READ, ATTR_FAST_WRITE,
} from "../state";
import { pending, faultCode, gp, GP, NP, SS as SS_VEC } from "./exception";
import {
  readDescriptor, descLo, descHi, descBase, descLimit, cacheAttr, descIsSeg, descIsCode,
  descIsData, descDpl, descPresent, descConforming, descRW, selIsNull, setAccessed,
} from "./descriptor";
import { refreshAccessRights } from "../mmu/tlb";
import { CR0_PE } from "../mmu/walk";

/** Write the selector and hidden part of a segment register. */
export function setSegCache(sreg: u32, sel: u32, base: u32, limit: u32, attr: u32): void {
  store<u32>(sreg << 2, sel & 0xFFFF, S_SEG_SEL);
  store<u32>(sreg << 2, base, S_SEG_BASE);
  store<u32>(sreg << 2, limit, S_SEG_LIMIT);
  store<u32>(sreg << 2, attr, S_SEG_ATTR);
  segChanged(sreg);
}

/** Segment register `sreg`'s limit or attributes changed: its JIT_SEG_BOUND words are stale. */
@inline function segChanged(sreg: u32): void {
  store<u32>(S_JIT_SEG_DIRTY, load<u32>(S_JIT_SEG_DIRTY) | (1 << sreg));
}

/** JIT_SEG_BOUND of one access kind: `bits` of SEG_ATTR needed, the segment's limit. */
@inline function segBound(attr: u32, limit: u32, bits: u32): u32 {
  return (attr & bits) == bits && limit >= 3 ? limit - 2 : 0;
}

/**
 * Recompute the translation tier's JIT_SEG_BOUND words of segment register `sreg` (read, write,
 * stack read, stack write) from its SEG_LIMIT and SEG_ATTR. A 4-byte access at offset `off` takes
 * a translation's fast path when off < bound: access.ts's `(attr & fast) && off <= limit &&
 * limit - off >= 3`, and for the stack a 32-bit stack (D/B) as stack-ops.ts's.
 */
function refreshSegBounds(sreg: u32): void {
  const attr = segAttr(sreg);
  const limit = load<u32>(sreg << 2, S_SEG_LIMIT);
  const at = S_JIT_SEG_BOUND + (sreg << 4);
  store<u32>(at, segBound(attr, limit, ATTR_FAST_READ));
  store<u32>(at, segBound(attr, limit, ATTR_FAST_WRITE), 4);
  store<u32>(at, segBound(attr, limit, ATTR_FAST_READ | ATTR_DB), 8);
  store<u32>(at, segBound(attr, limit, ATTR_FAST_WRITE | ATTR_DB), 12);
}

/**
 * For translated code: the JIT_SEG_BOUND words of the segment registers in `mask` (those its
 * inlined accesses use) that changed since they were computed (JIT_SEG_DIRTY), computed now. The
 * bounds are computed when a translation needs them after a change, not at every segment load
 * (an interrupt and its IRET load CS and SS each) nor at every translation entry.
 */
export function jitSegRefresh(mask: u32): void {
  const dirty = load<u32>(S_JIT_SEG_DIRTY);
  let d = dirty & mask;
  store<u32>(S_JIT_SEG_DIRTY, dirty & ~d);
  while (d != 0) {
    refreshSegBounds(ctz(d));
    d &= d - 1;
  }
}

/** Load a segment register from the descriptor in descLo/descHi. */
export function setSegFromDesc(sreg: u32, sel: u32): void {
  setSegCache(sreg, sel, descBase(descLo, descHi), descLimit(descLo, descHi), cacheAttr(descHi));
}

/** A null selector in DS/ES/FS/GS: the register is unusable (SDM Vol. 3, 5.4.1). */
export function setSegNull(sreg: u32, sel: u32): void {
  store<u32>(sreg << 2, sel & 0xFFFF, S_SEG_SEL);
  store<u32>(sreg << 2, load<u32>(sreg << 2, S_SEG_ATTR) & 0xFFFF, S_SEG_ATTR);
  segChanged(sreg);
}

/** Set the CPL and recompute MODE (CS.D, CPL) and the TLB rights. */
export function setCpl(newCpl: u32): void {
  store<u32>(S_CPL, newCpl);
  const d32: u32 = (segAttr(SR_CS) >> 14) & 1;
  store<u32>(S_MODE, (load<u32>(S_MODE) & ~7) | d32 | (newCpl << 1));
  refreshAccessRights();
}

/** Load CS from the descriptor in descLo/descHi with RPL = `newCpl`, and switch to that CPL. */
export function loadCS(sel: u32, newCpl: u32): void {
  setSegFromDesc(SR_CS, (sel & 0xFFFC) | newCpl);
  setCpl(newCpl);
}

@inline function protectedMode(): bool { return (load<u32>(S_CR0) & CR0_PE) != 0; }

/**
 * MOV/POP/LxS to SS (SDM Vol. 2, MOV "Operation"): null → #GP(0); outside the table, RPL ≠ CPL,
 * not a writable data segment or DPL ≠ CPL → #GP(selector); not present → #SS(selector).
 * Returns false with the fault pending; on success SS is loaded (accessed bit set).
 */
export function loadSS(sel: u32): bool {
  if (!protectedMode()) { setSegCache(SR_SS, sel, sel << 4, load<u32>(SR_SS << 2, S_SEG_LIMIT), segAttr(SR_SS)); return true; }
  if (selIsNull(sel)) { gp(0); return false; }
  if (!checkSS(sel, GP, cpl(), 0)) return false;
  if (!setAccessed()) return false;
  setSegFromDesc(SR_SS, sel);
  return true;
}

/**
 * The SS checks after the null test, with the error vector for a bad descriptor (#GP for loads,
 * #TS for stack switches), the CPL the stack is for and the EXT bit of the error code. Leaves
 * the descriptor in descLo/descHi.
 */
export function checkSS(sel: u32, vec: u32, forCpl: u32, ext: u32): bool {
  const code = (sel & 0xFFFC) | ext;
  if (!readDescriptor(sel)) { if (!pending) faultCode(vec, code); return false; }
  if ((sel & 3) != forCpl || !descIsData(descHi) || !descRW(descHi) || descDpl(descHi) != forCpl) {
    faultCode(vec, code); return false;
  }
  if (!descPresent(descHi)) { faultCode(SS_VEC, code); return false; }
  return true;
}

/**
 * MOV/POP/LxS to DS, ES, FS or GS (SDM Vol. 2, MOV "Operation"): a null selector loads an
 * unusable register; outside the table, not data or readable code, or (data and non-conforming
 * code) with RPL > DPL or CPL > DPL → #GP(selector); not present → #NP(selector).
 */
export function loadDataSeg(sreg: u32, sel: u32): bool {
  if (!protectedMode()) {
    setSegCache(sreg, sel, sel << 4, load<u32>(sreg << 2, S_SEG_LIMIT), segAttr(sreg));
    return true;
  }
  if (selIsNull(sel)) { setSegNull(sreg, sel); return true; }
  const code = sel & 0xFFFC;
  if (!readDescriptor(sel)) { if (!pending) gp(code); return false; }
  const hi = descHi;
  if (!descIsSeg(hi) || (descIsCode(hi) && !descRW(hi))) { gp(code); return false; }
  if (!(descIsCode(hi) && descConforming(hi))) {
    const dpl = descDpl(hi);
    if ((sel & 3) > dpl || cpl() > dpl) { gp(code); return false; }
  }
  if (!descPresent(hi)) { faultCode(NP, code); return false; }
  if (!setAccessed()) return false;
  setSegFromDesc(sreg, sel);
  return true;
}

/**
 * After a return to an outer ring (RET far, IRET): DS, ES, FS, GS holding a data or
 * non-conforming code segment with DPL < the new CPL become null (SDM Vol. 2, RET/IRET
 * "RETURN-TO-OUTER-PRIVILEGE-LEVEL": they would otherwise give the outer ring inner access).
 */
export function nullInaccessibleSegs(newCpl: u32): void {
  for (let s: u32 = 0; s < 6; s++) {
    if (s == SR_CS || s == SR_SS) continue;
    const attr = segAttr(s);
    if (!(attr & ATTR_USABLE)) continue; // already null
    const dpl = (attr >> ATTR_DPL_SHIFT) & 3;
    const conformingCode = (attr & ATTR_TYPE_CODE) != 0 && (attr & ATTR_TYPE_EXPAND_DOWN) != 0;
    if (!conformingCode && dpl < newCpl) setSegCache(s, 0, load<u32>(s << 2, S_SEG_BASE), load<u32>(s << 2, S_SEG_LIMIT), 0);
  }
}

