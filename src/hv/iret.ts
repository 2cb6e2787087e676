// HYPERVISOR_iret (Xen arch/x86/x86_64/compat/traps.c compat_iret): the guest kernel returns
// from an exception or event frame. At ESP (pushed by the hypercall page's iret slot): EAX, EIP,
// CS, EFLAGS, and ESP, SS when returning to ring 2/3. EFLAGS is restored with IF forced on and
// IOPL cleared (the virtual IOPL takes it under architectural_iopl); evtchn_upcall_mask becomes
// !EFLAGS.IF of the frame. A frame that cannot be read, a return to ring 0 or to virtual-8086
// mode kills the domain. A CS or SS that will not load goes to the failsafe callback when there
// is one (as a faulting return to the guest does in Xen), else kills the domain.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { VMASST_TYPE } from "./abi.ts";
import { GuestFault } from "./guest-memory.ts";
import { loadSelector } from "./descriptor-tables.ts";
import { bounce, EF_IF, EF_VM } from "./bounce.ts";
import { FAILSAFE_BOUNCE } from "./stats.ts";

/** EFLAGS bits an iret may set (CF PF AF ZF SF TF IF DF OF NT RF AC ID) — IOPL and VM excluded. */
const EFLAGS_RESTORABLE = 0x254fd5;
const SR_ES = 0, SR_CS = 1, SR_SS = 2, SR_DS = 3, SR_FS = 4, SR_GS = 5;

/** Returns the value EAX gets (the restored EAX), or undefined when the domain died. */
export function iret(d: Domain): number | undefined {
  const m = d.machine;
  const esp = m.reg("esp");
  const ssBase = m.field(L.S_SEG_BASE + 4 * SR_SS);
  let w: number[];
  try {
    w = d.mem.readU32s((ssBase + esp) >>> 0, 4);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    d.kill(`iret: cannot read the frame (${e.message})`);
    return undefined;
  }
  const [eax, eip, csWord, eflags] = w;
  const cs = csWord & 0xffff, ring = cs & 3;
  if (eflags & EF_VM) { d.kill("iret: virtual-8086 mode is unavailable"); return undefined; }
  if (ring === 0) { d.kill("iret: return to ring 0"); return undefined; }
  let newEsp = (esp + 16) >>> 0, ss = m.field(L.S_SEG_SEL + 4 * SR_SS);
  if (ring >= 2) {
    try {
      [newEsp, ss] = d.mem.readU32s((ssBase + esp + 16) >>> 0, 2);
      ss &= 0xffff;
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      d.kill(`iret: cannot read the outer stack pointer (${e.message})`);
      return undefined;
    }
  }
  if (d.vmAssist & (1 << VMASST_TYPE.architectural_iopl)) d.vcpu.iopl = (eflags >>> 12) & 3;
  const csSeg = loadSelector(d, cs, "cs");
  const ssSeg = ring >= 2 ? loadSelector(d, ss, "ss") : null;
  // The upcall mask comes from the frame either way.
  d.upcallMask = (eflags & EF_IF) === 0;
  const restored = ((eflags & EFLAGS_RESTORABLE) | EF_IF | 2) >>> 0;
  if (!csSeg || (ring >= 2 && !ssSeg)) {
    const fs = d.vcpu.callbacks.failsafe;
    if (!fs) { d.kill(`iret: selector 0x${(!csSeg ? cs : ss).toString(16)} does not load and no failsafe callback`); return undefined; }
    m.setReg("esp", newEsp);
    d.stats.countBounce(FAILSAFE_BOUNCE);
    bounce(d, { cs: fs.cs, eip: fs.eip, maskEvents: (fs.flags & 1) !== 0, failsafe: true, what: "the failsafe callback" },
      { eip, cs, eflags: restored, esp: newEsp, ss });
    return eax;
  }
  m.setSegment(SR_CS, cs, csSeg.base, csSeg.limit, csSeg.attr);
  if (ssSeg) m.setSegment(SR_SS, ss, ssSeg.base, ssSeg.limit, ssSeg.attr);
  m.setCpl(ring);
  m.eip = eip;
  m.setReg("esp", newEsp);
  m.eflags = restored;
  if (ring === 3) {
    // Returning to an outer ring nulls data segments the new ring may not use (SDM Vol. 2, IRET).
    for (const s of [SR_ES, SR_DS, SR_FS, SR_GS]) {
      const attr = m.field(L.S_SEG_ATTR + 4 * s), dpl = (attr >> 5) & 3;
      const conformingCode = (attr & 0x1c) === 0x1c;
      if (!conformingCode && dpl < 3) m.setSegment(s, 0, 0, 0, 0);
    }
  }
  return eax;
}
