// Delivering exceptions, INT n / INT3 / INTO and external interrupts through the IDT in protected
// mode (SDM Vol. 3, 6.10-6.13; Vol. 2, INT n "Operation"): interrupt, trap and task gates, the
// stack switch from the TSS on a privilege change, the frame and error code, the flags. An
// exception raised while delivering another one is combined per SDM Vol. 3, 6.15, Table 6-5
// (#DF), and one raised while delivering #DF shuts the processor down (triple fault).
import {
  S_EIP, S_INSTR_EIP, S_IDTR_BASE, S_IDTR_LIMIT, S_CR0, S_EXC_VECTOR, S_EXC_CODE,
  S_EXC_HAS_CODE, S_EXC_KIND, S_GPR, S_EXIT_ARG, S_FLAGS, SR_CS, SR_SS, R_ESP, EXIT_NONE, EXIT_SHUTDOWN,
  EXIT_INTERNAL, EXIT_EXCEPTION,
} from "../layout";
import {
  pending, clearPending, raise, faultCode, gp, NP, TS, DF, PF, DE, DB, BP, OFV,
  KIND_FAULT, KIND_TRAP, KIND_SOFT,
} from "./exception";
import {
  readDescriptor, descLo, descHi, descIsCode, descDpl, descPresent, descConforming, descLimit,
  gateSelector, gateOffset, selIsNull, setAccessedAt, descLin, setDesc, SYS_TASK_GATE, SYS_INT_GATE16,
  SYS_TRAP_GATE16, SYS_INT_GATE32, SYS_TRAP_GATE32, descBase, cacheAttr,
} from "./descriptor";
import { checkSS, setSegCache, loadCS } from "./segment";
import { frameBegin, frameBeginCurrent, framePushN, frameEsp } from "./frame";
import { readTssStack, tssSS, tssESP } from "./tss";
import { taskSwitch, SWITCH_CALL } from "./task";
import { unsupported, UNSUP_V86, UNSUP_REAL_MODE } from "./unsupported";
import { readSys64, sysHi } from "../mmu/access";
import { CR0_PE } from "../mmu/walk";
import { cpl, segSel } from "../state";
import { getEflags, setEflags, IF, TF, NT, RF, VM } from "../exec/flags";
import { exitRequested } from "../exec/run";

/** #DE #TS #NP #SS #GP: the contributory exceptions of Table 6-4. */
@inline function contributory(v: u32): bool { return v == DE || (v >= TS && v <= 13); }

/**
 * Deliver the exception described by EXC_* (EIP already where its kind says: the faulting
 * instruction, or the next one for traps, INT n and external interrupts). Returns EXIT_NONE when
 * the handler is entered, EXIT_SHUTDOWN on a triple fault, or EXIT_INTERNAL for an unsupported
 * case (unsupported.ts).
 */
export function deliverPending(): u32 {
  let v = load<u32>(S_EXC_VECTOR);
  let code = load<u32>(S_EXC_CODE);
  let hasCode = load<u32>(S_EXC_HAS_CODE) != 0;
  let kind = load<u32>(S_EXC_KIND);
  if (!(load<u32>(S_CR0) & CR0_PE)) { unsupported(UNSUP_REAL_MODE); return EXIT_INTERNAL; }
  while (true) {
    deliverOnce(v, code, hasCode, kind);
    if (exitRequested()) return EXIT_INTERNAL;
    if (!pending) return EXIT_NONE;
    clearPending();
    // A fault while delivering: it is reported at the instruction that caused the first event.
    const nv = load<u32>(S_EXC_VECTOR);
    if (load<u32>(S_EXC_KIND) == KIND_FAULT && kind != KIND_FAULT) store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
    if (v == DF) {
      // Any exception while delivering #DF: shutdown (SDM Vol. 3, 6.15, "Interrupt 8").
      store<u32>(S_EXIT_ARG, 1);
      return EXIT_SHUTDOWN;
    }
    const isSoft = kind == KIND_SOFT || (kind == KIND_TRAP && (v == BP || v == OFV));
    if (!isSoft && ((contributory(v) && contributory(nv)) || (v == PF && (nv == PF || contributory(nv))))) {
      raise(DF, 0, true, KIND_FAULT);
      clearPending();
      v = DF; code = 0; hasCode = true; kind = KIND_FAULT;
    } else {
      // Benign combinations are handled serially: the new exception is delivered.
      v = nv; code = load<u32>(S_EXC_CODE); hasCode = load<u32>(S_EXC_HAS_CODE) != 0;
      kind = load<u32>(S_EXC_KIND);
    }
  }
  return EXIT_NONE;
}

/**
 * One delivery attempt. INT n, INT3 and INTO (`kind` SOFT, or TRAP for vectors 3 and 4) check the
 * gate's DPL and have EXT = 0 in error codes; exceptions and external interrupts have EXT = 1.
 */
function deliverOnce(v: u32, code: u32, hasCode: bool, kind: u32): void {
  const soft = kind == KIND_SOFT || (kind == KIND_TRAP && (v == BP || v == OFV));
  const ext: u32 = soft ? 0 : 1;
  const idtCode = (v << 3) | 2 | ext;
  // VM is never lazy (exec/flags.ts: only the arithmetic flags are): FLAGS holds it.
  if (load<u32>(S_FLAGS) & VM) { unsupported(UNSUP_V86); return; }
  // The whole 8-byte gate must lie within the IDT limit.
  if ((v << 3) + 7 > load<u32>(S_IDTR_LIMIT)) { gp(idtCode); return; }
  const gLin = load<u32>(S_IDTR_BASE) + (v << 3);
  const gLo = readSys64(gLin); if (pending) return;
  const gHi = sysHi;
  const type = (gHi >>> 8) & 0x1F; // S bit and type: gates have S = 0
  if (type != SYS_TASK_GATE && type != SYS_INT_GATE16 && type != SYS_TRAP_GATE16 &&
      type != SYS_INT_GATE32 && type != SYS_TRAP_GATE32) { gp(idtCode); return; }
  // INT n, INT3, INTO: the gate's DPL must be >= CPL (SDM Vol. 3, 6.12.1.1).
  if (soft && descDpl(gHi) < cpl()) { gp(idtCode & ~1); return; }
  if (!descPresent(gHi)) { faultCode(NP, idtCode); return; }
  const eflags = getEflags();
  // The pushed EFLAGS has RF = 1 for faults (SDM Vol. 3, 18.3.1.1), other than #DB.
  const pushedFlags = kind == KIND_FAULT && v != DB ? eflags | RF : eflags & ~RF;
  if (type == SYS_TASK_GATE) {
    taskSwitch(gateSelector(gLo), SWITCH_CALL, ext, hasCode, code);
    return;
  }
  const sel = gateSelector(gLo);
  if (selIsNull(sel)) { gp(ext); return; }
  const selCode = (sel & 0xFFFC) | ext;
  if (!readDescriptor(sel)) { if (!pending) gp(selCode); return; }
  const csLo = descLo, csHi = descHi, csLin = descLin;
  const dpl = descDpl(csHi);
  if (!descIsCode(csHi) || dpl > cpl()) { gp(selCode); return; }
  if (!descPresent(csHi)) { faultCode(NP, selCode); return; }
  const gate32 = type >= SYS_INT_GATE32;
  const size: u32 = gate32 ? 4 : 2;
  const target = gate32 ? gateOffset(gLo, gHi) : gLo & 0xFFFF;
  const csLimit = descLimit(csLo, csHi);
  const oldCs = segSel(SR_CS), oldEip = load<u32>(S_EIP);
  let newCpl = cpl();
  let newSS: u32 = 0, ssLo: u32 = 0, ssHi: u32 = 0, ssLin: u32 = 0;
  const inner = !descConforming(csHi) && dpl < cpl();
  if (inner) {
    // Inter-privilege: the handler's stack comes from the TSS (SDM Vol. 3, 6.12.1).
    newCpl = dpl;
    if (!readTssStack(newCpl, ext)) return;
    newSS = tssSS;
    if (selIsNull(newSS)) { faultCode(TS, ext); return; }
    if (!checkSS(newSS, TS, newCpl, ext)) return;
    ssLo = descLo; ssHi = descHi; ssLin = descLin;
    const ssAttr = cacheAttr(ssHi);
    frameBegin(descBase(ssLo, ssHi), descLimit(ssLo, ssHi), ssAttr, tssESP, newCpl, (newSS & 0xFFFC) | ext);
    if (target > csLimit) { gp(ext); return; }
    // SS, ESP, EFLAGS, CS, EIP and the error code, in this order.
    if (!framePushN(size, hasCode ? 6 : 5, segSel(SR_SS), load<u32>(R_ESP << 2, S_GPR), pushedFlags, oldCs, oldEip, code)) return;
  } else {
    if (!descConforming(csHi) && dpl != cpl()) { gp(selCode); return; }
    frameBeginCurrent(newCpl, ext);
    if (target > csLimit) { gp(ext); return; }
    // EFLAGS, CS, EIP and the error code, in this order.
    if (!framePushN(size, hasCode ? 4 : 3, pushedFlags, oldCs, oldEip, code)) return;
  }
  // Every access succeeded: commit (accessed bits first, they are memory writes too).
  if (inner && !setAccessedAt(ssLin, ssHi)) return;
  if (!setAccessedAt(csLin, csHi)) return;
  if (inner) setSegCache(SR_SS, newSS, descBase(ssLo, ssHi), descLimit(ssLo, ssHi), cacheAttr(ssHi));
  store<u32>(R_ESP << 2, frameEsp(), S_GPR);
  setDesc(csLo, csHi | (1 << 8));
  loadCS(sel, newCpl);
  store<u32>(S_EIP, target);
  // TF, NT, RF and VM are cleared; an interrupt gate also clears IF (SDM Vol. 3, 6.12.1.3).
  let nf = eflags & ~(TF | NT | RF | VM);
  if (type == SYS_INT_GATE16 || type == SYS_INT_GATE32) nf &= ~IF;
  setEflags(nf);
}

/**
 * EXC_POLICY 2 (PV guests): deliver the pending software interrupt once through the IDT — Xen's
 * direct trap. A fault while delivering is not delivered here: it stays described in the EXC_*
 * fields, EIP goes back to the INT, and the host (the hypervisor) handles it as Xen would.
 */
export function deliverDirect(): u32 {
  deliverOnce(load<u32>(S_EXC_VECTOR), load<u32>(S_EXC_CODE), load<u32>(S_EXC_HAS_CODE) != 0, load<u32>(S_EXC_KIND));
  if (exitRequested()) return EXIT_INTERNAL;
  if (!pending) return EXIT_NONE;
  clearPending();
  if (load<u32>(S_EXC_KIND) == KIND_FAULT) store<u32>(S_EIP, load<u32>(S_INSTR_EIP));
  return EXIT_EXCEPTION;
}
