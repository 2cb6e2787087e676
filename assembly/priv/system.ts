// System-register loads (SDM Vol. 2: LLDT, LTR, SYSENTER, SYSEXIT): the descriptor checks of
// the LDTR and TR loads and the fixed flat segments of the fast system calls.
import {
  S_LDTR_SEL, S_LDTR_BASE, S_LDTR_LIMIT, S_TR_SEL, S_TR_BASE, S_TR_LIMIT, S_TR_ATTR, S_EIP,
  S_SYSENTER_CS, S_SYSENTER_ESP, S_SYSENTER_EIP, S_GPR, R_ESP, R_ECX, R_EDX, SR_CS, SR_SS,
} from "../layout";
import { gp, faultCode, pending, NP } from "./exception";
import {
  readDescriptor, descLo, descHi, descBase, descLimit, descAttr, descType, descIsSeg,
  descPresent, selIsNull, writeDescHi, descLin, SYS_LDT, SYS_TSS16_AVAIL, SYS_TSS32_AVAIL,
} from "./descriptor";
import { setSegCache, setCpl } from "./segment";
import { getEflags, setEflags, IF, RF, VM } from "../exec/flags";
import { withDerivedAttr } from "../state";

/**
 * LLDT: a null selector makes the LDTR unusable; otherwise the selector must name (in the GDT)
 * a present LDT descriptor: TI = 1, outside the GDT or another type → #GP(sel), not present →
 * #NP(sel).
 */
export function loadLdtr(sel: u32): bool {
  if (selIsNull(sel)) { store<u32>(S_LDTR_SEL, sel & 0xFFFF); return true; }
  const code = sel & 0xFFFC;
  if (sel & 4) { gp(code); return false; }
  if (!readDescriptor(sel)) { if (!pending) gp(code); return false; }
  if (descIsSeg(descHi) || descType(descHi) != SYS_LDT) { gp(code); return false; }
  if (!descPresent(descHi)) { faultCode(NP, code); return false; }
  store<u32>(S_LDTR_SEL, sel & 0xFFFF);
  store<u32>(S_LDTR_BASE, descBase(descLo, descHi));
  store<u32>(S_LDTR_LIMIT, descLimit(descLo, descHi));
  return true;
}

/**
 * LTR: null → #GP(0); TI = 1, outside the GDT or not an available TSS → #GP(sel); not present →
 * #NP(sel). The descriptor is marked busy.
 */
export function loadTr(sel: u32): bool {
  const code = sel & 0xFFFC;
  if (selIsNull(sel)) { gp(0); return false; }
  if (sel & 4) { gp(code); return false; }
  if (!readDescriptor(sel)) { if (!pending) gp(code); return false; }
  const type = descType(descHi);
  if (descIsSeg(descHi) || (type != SYS_TSS16_AVAIL && type != SYS_TSS32_AVAIL)) { gp(code); return false; }
  if (!descPresent(descHi)) { faultCode(NP, code); return false; }
  const busy = descHi | (2 << 8);
  if (!writeDescHi(descLin, busy)) return false;
  store<u32>(S_TR_SEL, sel & 0xFFFF);
  store<u32>(S_TR_BASE, descBase(descLo, busy));
  store<u32>(S_TR_LIMIT, descLimit(descLo, busy));
  store<u32>(S_TR_ATTR, descAttr(busy));
  return true;
}

/** The flat 4 GiB segments SYSENTER/SYSEXIT load (SDM Vol. 2, SYSENTER "Operation"). */
const FLAT_CODE: u32 = 0xC09B; // G, D, P, S, code execute/read accessed (DPL added)
const FLAT_DATA: u32 = 0xC093; // G, B, P, S, data read/write accessed

/** SYSENTER: SYSENTER_CS null → #GP(0); ring 0 flat CS/SS, ESP/EIP from the MSRs; VM IF RF cleared. */
export function sysenter(): void {
  const cs = load<u32>(S_SYSENTER_CS) & 0xFFFC;
  if (cs == 0) { gp(0); return; }
  setEflags(getEflags() & ~(VM | IF | RF));
  setSegCache(SR_CS, cs, 0, 0xFFFFFFFF, withDerivedAttr(FLAT_CODE, false));
  setSegCache(SR_SS, cs + 8, 0, 0xFFFFFFFF, withDerivedAttr(FLAT_DATA, false));
  setCpl(0);
  store<u32>(R_ESP << 2, load<u32>(S_SYSENTER_ESP), S_GPR);
  store<u32>(S_EIP, load<u32>(S_SYSENTER_EIP));
}

/** SYSEXIT: CPL ≠ 0 or SYSENTER_CS null → #GP(0); ring 3 flat CS = MSR+16, SS = MSR+24; EIP = EDX, ESP = ECX. */
export function sysexit(cpl: u32): void {
  const cs = load<u32>(S_SYSENTER_CS) & 0xFFFC;
  if (cpl != 0 || cs == 0) { gp(0); return; }
  setSegCache(SR_CS, (cs + 16) | 3, 0, 0xFFFFFFFF, withDerivedAttr(FLAT_CODE | (3 << 5), false));
  setSegCache(SR_SS, (cs + 24) | 3, 0, 0xFFFFFFFF, withDerivedAttr(FLAT_DATA | (3 << 5), false));
  setCpl(3);
  store<u32>(R_ESP << 2, load<u32>(R_ECX << 2, S_GPR), S_GPR);
  store<u32>(S_EIP, load<u32>(R_EDX << 2, S_GPR));
}
