// PV exception bouncing inside the core: the hot path of src/hv/traps.ts + bounce.ts (Xen's
// pv_inject_event and compat_create_bounce_frame), done without leaving Wasm. With PV_FLAGS bit 0
// and EXC_POLICY 2, an exception is delivered to the guest kernel through the trap table the
// hypervisor mirrored into PV_TRAP_TABLE, building exactly the frame the host builds:
//   from ring 2/3, on the stack_switch stack (PV_KERNEL_SS:SP), SS and ESP first; then EFLAGS
//   (IF = !evtchn_upcall_mask; IOPL = the virtual IOPL under architectural_iopl, else 0), CS with
//   the saved upcall mask in bits 16-23, EIP, and the error code (vectors 8, 10-14, 17). TF, NT, RF
//   and VM are cleared; the upcall mask is set when the entry's flags ask (bit 2). #PF reports
//   CR2 in vcpu_info.arch.cr2 and the guest-visible CR2, with the error code's U/S bit = ring 3.
//   Software `int n` is delivered when the entry's DPL admits the caller (ring 1 counts as 1),
//   else it becomes #GP((n<<3)|2) at the `int`.
// It counts as a hypervisor entry (PV_BOUNCE_COUNTS, collected by src/hv/core-mirror.ts).
// Everything else returns false with nothing changed, and the exception exits to the host as
// before: hypercalls other than iret, #GP (an instruction or call gate the host may emulate; the
// #GP of a refused `int n` is bounced here), a #PF that may be a page-table store the host
// emulates (writable_pagetables) or lies in the hypervisor's area (LDT window), a #UD that may be the forced-emulation prefix, #NM
// (virtual CR0.TS), no handler, a selector or stack that does not load, a frame that cannot be
// written (the host kills the domain), and a bounce after which an event upcall is due (the host
// delivers it on its way back to the guest).
import {
  RAM_BASE, S_EXC_VECTOR, S_EXC_CODE, S_EXC_HAS_CODE, S_EXC_KIND, S_EIP, S_INSTR_EIP, S_GPR, S_CR2,
  S_CPL, S_PV_FLAGS, S_PV_VM_ASSIST, S_PV_IOPL, S_PV_KERNEL_SS, S_PV_KERNEL_SP, S_PV_CR2,
  S_PV_UPCALL_PENDING_MA, S_PV_UPCALL_MASK_MA, S_PV_ARCH_CR2_MA, S_PV_BOUNCED, S_PV_HV_START,
  PV_TRAP_TABLE_BASE, PV_BOUNCE_COUNTS_BASE, SR_CS, SR_SS, R_EAX, R_ESP,
} from "../layout";
import { KIND_SOFT, KIND_EXTERNAL, BP, OFV, UD, NM, GP, PF, vectorHasErrorCode } from "../priv/exception";
import { segSel, segBase, withDerivedAttr } from "../state";
import { setCpl, setSegCache } from "../priv/segment";
import { getEflags, setEflags, IF, TF, NT, RF, VM } from "../exec/flags";
import { pvLoadSelector, selBase, selLimit, selAttr, LOAD_CS, LOAD_SS } from "./selector";
import { guestWriteU32s, guestReadable, guestByte, words } from "./guest-access";
import { pvIret } from "./iret";
import { PFEC_P, PFEC_W, PFEC_RSVD, PFEC_I } from "../mmu/walk";

/** PV_FLAGS bit 0: bounce exceptions and serve HYPERVISOR_iret in the core. */
export const PV_CORE_BOUNCE: u32 = 1;
/** Xen's hypercall vector and __HYPERVISOR_iret. */
const HYPERCALL_VECTOR: u32 = 0x82;
const HYPERVISOR_IRET: u32 = 23;
/** vm_assist types writable_pagetables and architectural_iopl */
const VMASST_WRITABLE_PAGETABLES: u32 = 2;
const VMASST_ARCHITECTURAL_IOPL: u32 = 4;
/** trap_info flags: bits 0-1 the DPL for `int n`, bit 2 mask events on entry */
const TI_DPL: u32 = 3, TI_IF: u32 = 4;
const EF_IOPL: u32 = 3 << 12;
/** `ud2a; .ascii "xen"; cpuid`: Xen's forced-emulation prefix (the host emulates it) */
const FORCED_PREFIX_LEN: u32 = 7;
const MAX_INSN: u32 = 15;

@inline export function upcallMasked(): bool { return load<u8>(load<u32>(S_PV_UPCALL_MASK_MA), RAM_BASE) != 0; }
@inline export function upcallPending(): bool { return load<u8>(load<u32>(S_PV_UPCALL_PENDING_MA), RAM_BASE) != 0; }
@inline export function setUpcallMask(m: bool): void { store<u8>(load<u32>(S_PV_UPCALL_MASK_MA), m ? 1 : 0, RAM_BASE); }
@inline export function architecturalIopl(): bool { return (load<u32>(S_PV_VM_ASSIST) & (1 << VMASST_ARCHITECTURAL_IOPL)) != 0; }

/**
 * The exception described by EXC_* (EIP already where its kind says), under EXC_POLICY 2: true
 * when the core delivered it (or served the iret), false when it must exit to the host unchanged.
 */
export function pvException(): bool {
  if (!(load<u32>(S_PV_FLAGS) & PV_CORE_BOUNCE)) return false;
  const v = load<u32>(S_EXC_VECTOR), kind = load<u32>(S_EXC_KIND);
  const code = load<u32>(S_EXC_CODE);
  const cpl = load<u32>(S_CPL);
  if (kind == KIND_EXTERNAL) return false;
  if (kind == KIND_SOFT && v == HYPERCALL_VECTOR && cpl == 1) {
    return load<u32>(S_GPR + (R_EAX << 2)) == HYPERVISOR_IRET && pvIret();
  }
  if (kind == KIND_SOFT && v != BP && v != OFV) {
    // permit_softint: the registered DPL must admit the caller (the guest kernel counts as ring 1).
    const ring: u32 = cpl == 3 ? 3 : 1;
    if (trapRegistered(v) && (trapFlags(v) & TI_DPL) >= ring) return bounce(v, v, false, 0, false);
    // Otherwise #GP((n<<3)|2), a fault at the `int` itself.
    return bounce(GP, GP, true, (v << 3) | 2, true);
  }
  // #GP: the host may emulate the instruction (error code 0) or a call gate (the gate's selector).
  if (v == GP) return false;
  if (v == NM) return false;
  if (v == UD && mayBeForcedPrefix()) return false;
  if (v == PF) {
    // A fault in the hypervisor's area (the LDT window, mapped on first use: src/hv/ldt.ts) is
    // the host's to handle.
    if (load<u32>(S_CR2) >= load<u32>(S_PV_HV_START)) return false;
    // A kernel store to a read-only page under writable_pagetables may be one the host emulates
    // (src/hv/ptwr.ts: ring 1; write, present, not reserved-bit, not fetch).
    if ((load<u32>(S_PV_VM_ASSIST) & (1 << VMASST_WRITABLE_PAGETABLES)) != 0 && cpl != 3 &&
        (code & (PFEC_P | PFEC_W)) == (PFEC_P | PFEC_W) && (code & (PFEC_RSVD | PFEC_I)) == 0) return false;
    // The U/S bit says whether the guest was in user mode.
    return bounce(PF, PF, true, (code & ~4) | (cpl == 3 ? 4 : 0), false);
  }
  const hasCode = load<u32>(S_EXC_HAS_CODE) != 0 || vectorHasErrorCode(v);
  return bounce(v, v, hasCode, code, false);
}

@inline function trapEntry(v: u32): usize { return PV_TRAP_TABLE_BASE + (v << 3); }
@inline function trapRegistered(v: u32): bool { return load<u8>(trapEntry(v), 7) != 0; }
@inline function trapFlags(v: u32): u32 { return load<u8>(trapEntry(v), 6); }

/**
 * emulateForcedPrefix (src/hv/emul-priv-op.ts) reads up to 15 bytes at CS:EIP one at a time and
 * emulates when the first 7 are the prefix. Read what it would read (the same accessed bits get
 * set); true when it may emulate, which the host then does.
 */
function mayBeForcedPrefix(): bool {
  const lin = segBase(SR_CS) + load<u32>(S_EIP);
  const n = guestReadable(lin, MAX_INSN);
  if (n < FORCED_PREFIX_LEN) return false;
  return guestByte(lin) == 0x0F && guestByte(lin + 1) == 0x0B && guestByte(lin + 2) == 0x78 &&
    guestByte(lin + 3) == 0x65 && guestByte(lin + 4) == 0x6E && guestByte(lin + 5) == 0x0F &&
    guestByte(lin + 6) == 0xA2;
}

/**
 * injectTrap + bounce: deliver `vector` through the trap table, counted under `counted`. `atInt`
 * moves EIP back to the instruction first (a #GP for a refused `int n`).
 */
function bounce(vector: u32, counted: u32, hasCode: bool, code: u32, atInt: bool): bool {
  const e = trapEntry(vector);
  // null_trap_bounce: no handler registered (the host kills the domain).
  if (!trapRegistered(vector)) return false;
  const cs = <u32>load<u16>(e, 4), target = load<u32>(e);
  if ((cs & 0xFFFC) == 0) return false;
  const maskEvents = (load<u8>(e, 6) & TI_IF) != 0;
  const mask = upcallMasked();
  // An event upcall due right after this bounce: the host delivers both, in its order.
  if (upcallPending() && !mask && !maskEvents) return false;
  if (!pvLoadSelector(cs, LOAD_CS)) return false;
  const csBase = selBase, csLimit = selLimit, csAttr = selAttr;
  const fromCs = segSel(SR_CS), fromRing = fromCs & 3;
  const fromEip = atInt ? load<u32>(S_INSTR_EIP) : load<u32>(S_EIP);
  const fromEsp = load<u32>(S_GPR + (R_ESP << 2));
  const outer = fromRing >= 2;
  let ssSel: u32 = 0, ssBase: u32, esp: u32, ssLimit: u32 = 0, ssAttr: u32 = 0;
  if (outer) {
    ssSel = load<u32>(S_PV_KERNEL_SS);
    if (!pvLoadSelector(ssSel, LOAD_SS)) return false;
    ssBase = selBase; ssLimit = selLimit; ssAttr = selAttr;
    esp = load<u32>(S_PV_KERNEL_SP);
  } else {
    ssBase = segBase(SR_SS);
    esp = fromEsp;
  }
  const flags = getEflags();
  let pushedFlags = (flags & ~(IF | EF_IOPL)) | (mask ? 0 : IF);
  if (architecturalIopl()) pushedFlags |= load<u32>(S_PV_IOPL) << 12;
  // The frame's words from the lowest address up.
  let n: u32 = 0;
  if (hasCode) unchecked(words[n++] = code);
  unchecked(words[n++] = fromEip);
  unchecked(words[n++] = (fromCs & 0xFFFF) | ((mask ? 1 : 0) << 16));
  unchecked(words[n++] = pushedFlags);
  if (outer) {
    unchecked(words[n++] = fromEsp);
    unchecked(words[n++] = segSel(SR_SS) & 0xFFFF);
  }
  const newEsp = esp - (n << 2);
  if (vector == PF) {
    // The host reports CR2 before it builds the frame; here only once the frame is certain.
    if (!guestWriteU32s(ssBase + newEsp, n)) return false;
    const cr2 = load<u32>(S_CR2);
    store<u32>(S_PV_CR2, cr2);
    store<u32>(load<u32>(S_PV_ARCH_CR2_MA), cr2, RAM_BASE);
  } else if (!guestWriteU32s(ssBase + newEsp, n)) return false;
  // Commit: the handler runs at its selector's ring on the (possibly new) stack.
  if (outer) setSeg(SR_SS, ssSel, ssBase, ssLimit, ssAttr);
  store<u32>(S_GPR + (R_ESP << 2), newEsp);
  setSeg(SR_CS, cs, csBase, csLimit, csAttr);
  setCpl(cs & 3);
  store<u32>(S_EIP, target);
  setEflags(flags & ~(TF | NT | RF | VM));
  if (maskEvents) setUpcallMask(true);
  countBounce(counted);
  return true;
}

/** Load a segment register's cache as the host's Machine.setSegment does (selector not null). */
export function setSeg(sreg: u32, sel: u32, base: u32, limit: u32, attr: u32): void {
  setSegCache(sreg, sel & 0xFFFF, base, limit, withDerivedAttr(attr, false));
}

function countBounce(v: u32): void {
  const at = PV_BOUNCE_COUNTS_BASE + (v << 2);
  store<u32>(at, load<u32>(at) + 1);
  store<u32>(S_PV_BOUNCED, load<u32>(S_PV_BOUNCED) + 1);
}
