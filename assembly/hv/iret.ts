// HYPERVISOR_iret inside the core: src/hv/iret.ts (Xen compat_iret) for the common case, so the
// return from a bounced exception needs no exit either. At ESP (pushed by the hypercall page's
// iret slot): EAX, EIP, CS, EFLAGS, and ESP, SS when returning to ring 2/3. EFLAGS comes back with
// IF forced on and IOPL cleared (the virtual IOPL takes it under architectural_iopl);
// evtchn_upcall_mask becomes !IF of the frame; a return to ring 3 nulls data segments that ring
// may not use. Counted as hypercall 23 (PV_IRETS). Left to the host, unchanged: a frame it could
// not read, a return to ring 0 or virtual-8086 mode (it kills the domain), a CS or SS that does
// not load (failsafe callback), and an iret that unmasks a pending event (it delivers the upcall).
import { S_GPR, S_EIP, S_PV_IOPL, S_PV_IRETS, SR_ES, SR_CS, SR_SS, SR_DS, SR_FS, SR_GS, R_EAX, R_ESP } from "../layout";
import { segBase, segSel, segAttr } from "../state";
import { setCpl, setSegCache } from "../priv/segment";
import { setEflags, IF, VM } from "../exec/flags";
import { pvLoadSelector, selBase, selLimit, selAttr, LOAD_CS, LOAD_SS } from "./selector";
import { guestReadU32s, words } from "./guest-access";
import { setSeg, upcallPending, setUpcallMask, architecturalIopl } from "./bounce";

/** EFLAGS bits an iret may set (CF PF AF ZF SF TF IF DF OF NT RF AC ID): IOPL and VM excluded. */
const EFLAGS_RESTORABLE: u32 = 0x254FD5;

export function pvIret(): bool {
  const esp = load<u32>(S_GPR + (R_ESP << 2));
  const ssBase = segBase(SR_SS);
  if (!guestReadU32s(ssBase + esp, 4)) return false;
  const eax = unchecked(words[0]), eip = unchecked(words[1]), cs = unchecked(words[2]) & 0xFFFF;
  const eflags = unchecked(words[3]);
  const ring = cs & 3;
  if ((eflags & VM) != 0 || ring == 0) return false;
  // The upcall mask becomes !IF: a pending event would be delivered on the way back.
  if ((eflags & IF) != 0 && upcallPending()) return false;
  let newEsp = esp + 16, ss = segSel(SR_SS);
  if (ring >= 2) {
    if (!guestReadU32s(ssBase + esp + 16, 2)) return false;
    newEsp = unchecked(words[0]); ss = unchecked(words[1]) & 0xFFFF;
  }
  if (!pvLoadSelector(cs, LOAD_CS)) return false;
  const csBase = selBase, csLimit = selLimit, csAttr = selAttr;
  let ssB: u32 = 0, ssL: u32 = 0, ssA: u32 = 0;
  if (ring >= 2) {
    if (!pvLoadSelector(ss, LOAD_SS)) return false;
    ssB = selBase; ssL = selLimit; ssA = selAttr;
  }
  // Commit, in the host's order.
  if (architecturalIopl()) store<u32>(S_PV_IOPL, (eflags >>> 12) & 3);
  setUpcallMask((eflags & IF) == 0);
  setSeg(SR_CS, cs, csBase, csLimit, csAttr);
  if (ring >= 2) setSeg(SR_SS, ss, ssB, ssL, ssA);
  setCpl(ring);
  store<u32>(S_EIP, eip);
  store<u32>(S_GPR + (R_ESP << 2), newEsp);
  setEflags((eflags & EFLAGS_RESTORABLE) | IF | 2);
  if (ring == 3) {
    // Returning to an outer ring nulls data segments the new ring may not use (SDM Vol. 2, IRET).
    nullIfInner(SR_ES); nullIfInner(SR_DS); nullIfInner(SR_FS); nullIfInner(SR_GS);
  }
  store<u32>(S_GPR + (R_EAX << 2), eax);
  store<u32>(S_PV_IRETS, load<u32>(S_PV_IRETS) + 1);
  return true;
}

/** The host's Machine.setSegment(s, 0, 0, 0, 0) for a data segment with DPL < 3 (not conforming code). */
function nullIfInner(s: u32): void {
  const attr = segAttr(s), dpl = (attr >> 5) & 3;
  const conformingCode = (attr & 0x1C) == 0x1C;
  if (!conformingCode && dpl < 3) setSegCache(s, 0, 0, 0, 0);
}
