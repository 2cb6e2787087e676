// Building a bounce frame (Xen arch/x86/x86_64/compat/entry.S compat_create_bounce_frame): how
// an exception, a software interrupt, an event upcall or the failsafe callback reaches the guest
// kernel. From ring 2/3 the frame goes on the kernel stack from stack_switch and starts with the
// interrupted SS and ESP; from ring 1 it goes on the current stack. Then, from high to low:
// EFLAGS (IF = !evtchn_upcall_mask, IOPL = the virtual IOPL under architectural_iopl, else 0),
// CS with the saved upcall mask in bits 16-23, EIP, and the error code when there is one. The
// failsafe frame adds DS, ES, FS, GS below EIP. TF, NT, RF and VM are cleared, and the upcall mask
// is set when the trap-table entry or callback asks for it. A handler without a code selector, a
// kernel stack that does not load, or a frame that cannot be written kills the domain.
import type { Domain } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { VMASST_TYPE } from "./abi.ts";
import { loadSelector } from "./descriptor-tables.ts";
import { GuestFault } from "./guest-memory.ts";

export const EF_TF = 1 << 8, EF_IF = 1 << 9, EF_IOPL = 3 << 12, EF_NT = 1 << 14, EF_RF = 1 << 16, EF_VM = 1 << 17;
const SR_ES = 0, SR_CS = 1, SR_SS = 2, SR_DS = 3, SR_FS = 4, SR_GS = 5;

export interface BounceTarget {
  cs: number;
  eip: number;
  /** error code to push (vectors 8, 10-14, 17) */
  errorCode?: number;
  /** set evtchn_upcall_mask on entry (trap flag bit 2, callbacks with mask_events) */
  maskEvents: boolean;
  /** the failsafe frame (data selectors below EIP) */
  failsafe?: boolean;
  /** what is being delivered, for the message when the domain dies */
  what: string;
}

/** Interrupted state the frame describes (defaults: the current registers). */
export interface FrameState { eip: number; cs: number; eflags: number; esp: number; ss: number }

export function currentFrameState(d: Domain): FrameState {
  const m = d.machine;
  return {
    eip: m.eip, cs: m.field(L.S_SEG_SEL + 4 * SR_CS), eflags: m.eflags,
    esp: m.reg("esp"), ss: m.field(L.S_SEG_SEL + 4 * SR_SS),
  };
}

/** Deliver to the guest. Returns false when the domain was killed instead. */
export function bounce(d: Domain, t: BounceTarget, from: FrameState = currentFrameState(d)): boolean {
  const m = d.machine, v = d.vcpu;
  // null_trap_bounce: no handler registered.
  if ((t.cs & 0xfffc) === 0) { d.kill(`no handler for ${t.what}`); return false; }
  const handlerCs = loadSelector(d, t.cs, "cs");
  if (!handlerCs) { d.kill(`handler code selector 0x${t.cs.toString(16)} for ${t.what} does not load`); return false; }
  const fromRing = from.cs & 3;
  let ssSel: number, ssBase: number, esp: number, ssLoad = null as ReturnType<typeof loadSelector>;
  if (fromRing >= 2) {
    ssLoad = loadSelector(d, v.kernelSs, "ss");
    if (!ssLoad) { d.kill(`kernel stack selector 0x${v.kernelSs.toString(16)} does not load (${t.what})`); return false; }
    ssSel = v.kernelSs; ssBase = ssLoad.base; esp = v.kernelSp;
  } else {
    ssSel = from.ss; ssBase = m.field(L.S_SEG_BASE + 4 * SR_SS); esp = from.esp;
  }
  const mask = d.upcallMask;
  let eflags = (from.eflags & ~(EF_IF | EF_IOPL)) | (mask ? 0 : EF_IF);
  if (d.vmAssist & (1 << VMASST_TYPE.architectural_iopl)) eflags |= v.iopl << 12;
  // Words from the lowest address up.
  const words: number[] = [];
  if (t.errorCode !== undefined) words.push(t.errorCode);
  if (t.failsafe) for (const s of [SR_DS, SR_ES, SR_FS, SR_GS]) words.push(m.field(L.S_SEG_SEL + 4 * s));
  words.push(from.eip, (from.cs & 0xffff) | ((mask ? 1 : 0) << 16), eflags >>> 0);
  if (fromRing >= 2) words.push(from.esp, from.ss & 0xffff);
  const newEsp = (esp - words.length * 4) >>> 0;
  try {
    d.mem.writeU32s((ssBase + newEsp) >>> 0, words);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    d.kill(`fault writing the bounce frame for ${t.what} at 0x${((ssBase + newEsp) >>> 0).toString(16)} (${e.message})`);
    return false;
  }
  // Commit: the handler runs at its selector's ring on the (possibly new) stack.
  if (ssLoad) m.setSegment(SR_SS, ssSel, ssLoad.base, ssLoad.limit, ssLoad.attr);
  m.setReg("esp", newEsp);
  m.setSegment(SR_CS, t.cs & 0xffff, handlerCs.base, handlerCs.limit, handlerCs.attr);
  m.setCpl(t.cs & 3);
  m.eip = t.eip;
  m.eflags = m.eflags & ~(EF_TF | EF_NT | EF_RF | EF_VM);
  if (t.failsafe) for (const s of [SR_DS, SR_ES, SR_FS, SR_GS]) m.setSegment(s, 0, 0, 0, 0);
  if (t.maskEvents) d.upcallMask = true;
  return true;
}
