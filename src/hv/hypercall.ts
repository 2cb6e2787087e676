// The hypercall table (Xen include/hypercall-defs.c, arch/x86/pv/hypercall.c): `int $0x82` from
// ring 1 with the number in EAX and arguments in EBX, ECX, EDX, ESI, EDI, EBP; the result goes to
// EAX (-errno on failure) and the guest continues after the `int`. A guest pointer the
// hypervisor cannot use gives -EFAULT (GuestFault, guest-memory.ts); an unknown number -ENOSYS.
import type { Domain } from "./domain.ts";
import { ERRNO, HYPERCALL as H, MULTICALL_ENTRY, PHYSDEVOP_set_iopl, PHYSDEVOP_set_iobitmap, VMASST_CMD_disable, VMASST_CMD_enable, VMASST_TYPE } from "./abi.ts";
import { GuestFault } from "./guest-memory.ts";
import { setTrapTable } from "./traps.ts";
import { setGdt, updateDescriptor } from "./descriptor-tables.ts";
import { stackSwitch, setCallbacks, callbackOp, fpuTaskswitch } from "./callbacks.ts";
import { iret } from "./iret.ts";
import { updateVaMapping } from "./mm/update-va-mapping.ts";
import { mmuextOp } from "./mm/mmuext-op.ts";
import { mmuUpdate } from "./mm/mmu-update.ts";
import { schedOp } from "./sched.ts";
import { memoryOp } from "./memory-op.ts";
import { consoleIo } from "./console.ts";
import { xenVersion } from "./xen-version.ts";
import { readDr, writeDr } from "./emul-priv-op.ts";
import { vcpuOp } from "./vcpu-op.ts";
import { createContinuation } from "./continuation.ts";
import { setIopl, setIobitmap } from "./io-ports.ts";

/** A handler returns the result, or undefined when the domain died during the call. */
type Handler = (d: Domain, a: number[]) => number | undefined;

/** vm_assist types valid for a 32-bit PV guest (VM_ASSIST_VALID for compat). */
const VM_ASSIST_VALID = [VMASST_TYPE["4gb_segments"], VMASST_TYPE["4gb_segments_notify"], VMASST_TYPE.writable_pagetables,
  VMASST_TYPE.pae_extended_cr3, VMASST_TYPE.architectural_iopl, VMASST_TYPE.runstate_update_flag]
  .reduce((m: number, t: number) => m | (1 << t), 0);

/** HYPERVISOR_vm_assist(cmd, type): the bits are recorded; see docs/HYPERVISOR.md for which act. */
function vmAssist(d: Domain, cmd: number, type: number): number {
  if (type >= 32 || !(VM_ASSIST_VALID & (1 << type))) return -ERRNO.EINVAL;
  if (cmd === VMASST_CMD_enable) d.vmAssist |= 1 << type;
  else if (cmd === VMASST_CMD_disable) d.vmAssist &= ~(1 << type);
  else return -ERRNO.ENOSYS;
  return 0;
}

/** HYPERVISOR_physdev_op(cmd, arg): set_iopl, set_iobitmap (io-ports.ts); no device access for a domU. */
function physdevOp(d: Domain, cmd: number, arg: number): number {
  if (cmd === PHYSDEVOP_set_iopl) return setIopl(d, arg);
  if (cmd === PHYSDEVOP_set_iobitmap) return setIobitmap(d, arg);
  return -ERRNO.ENOSYS;
}

/** HYPERVISOR_set_debugreg(reg, value): DR0-3 (below the hypervisor area), DR6, DR7 (no GD). */
function setDebugreg(d: Domain, reg: number, value: number): number {
  if (reg > 7) return -ERRNO.EINVAL; // 4/5 alias 6/7: the guest's CR4.DE is never set
  return writeDr(d, reg, value) ? 0 : -ERRNO.EPERM;
}

/** HYPERVISOR_get_debugreg(reg) */
function getDebugreg(d: Domain, reg: number): number {
  const v = reg <= 7 ? readDr(d, reg) : null;
  return v === null ? -ERRNO.EINVAL : v;
}

/**
 * HYPERVISOR_multicall(entries, n) (Xen common/multicall.c): each entry {op, result, args[6]} runs
 * and its result is written back; a nested multicall is -EINVAL; an iret ends the batch. Between
 * entries the batch may be preempted (continued at the next entry); a sub-call that creates a
 * continuation has its entry's arguments rewritten and the multicall continues at that entry.
 */
function multicall(d: Domain, list: number, n: number): number {
  const p = d.preempt;
  n >>>= 0;
  for (let i = 0; i < n; i++) {
    const at = (list + i * MULTICALL_ENTRY.size) >>> 0;
    if (p.check(i)) return createContinuation(d, H.multicall, [at, n - i]);
    const w = d.mem.readU32s(at, 8);
    const op = w[0];
    let r: number | undefined;
    const sub: { args: number[] | null } = { args: null };
    if (op === H.multicall) r = -ERRNO.EINVAL;
    else {
      p.multicall = sub;
      try { r = dispatch(d, op, w.slice(2)); } finally { p.multicall = null; }
    }
    if (r === undefined || d.end) return 0;
    d.mem.writeU32(at + MULTICALL_ENTRY.result, r);
    if (sub.args) {
      // Copy the sub-call's continuation into its entry; the multicall resumes there.
      d.mem.writeU32s(at + MULTICALL_ENTRY.args, [...sub.args, ...w.slice(2 + sub.args.length)]);
      return createContinuation(d, H.multicall, [at, n - i]);
    }
    if (op === H.iret) return r;
  }
  return 0;
}

const TABLE = new Map<number, Handler>([
  [H.set_trap_table, (d, a) => setTrapTable(d, a[0])],
  [H.mmu_update, (d, a) => mmuUpdate(d, a[0], a[1], a[2], a[3])],
  [H.set_gdt, (d, a) => setGdt(d, a[0], a[1])],
  [H.stack_switch, (d, a) => stackSwitch(d, a[0], a[1])],
  [H.set_callbacks, (d, a) => setCallbacks(d, a[0], a[1], a[2], a[3])],
  [H.fpu_taskswitch, (d, a) => fpuTaskswitch(d, a[0])],
  [H.set_debugreg, (d, a) => setDebugreg(d, a[0], a[1])],
  [H.get_debugreg, (d, a) => getDebugreg(d, a[0])],
  [H.update_descriptor, (d, a) => updateDescriptor(d, a[0], a[1], a[2], a[3])],
  [H.memory_op, (d, a) => memoryOp(d, a[0], a[1])],
  [H.multicall, (d, a) => multicall(d, a[0], a[1])],
  [H.update_va_mapping, (d, a) => updateVaMapping(d, a[0], a[1], a[2], a[3])],
  [H.set_timer_op, (d, a) => d.clock.setTimer(a[0], a[1])],
  [H.xen_version, (d, a) => xenVersion(d, a[0], a[1])],
  [H.console_io, (d, a) => consoleIo(d, a[0], a[1], a[2])],
  [H.grant_table_op, (d, a) => d.grants.op(a[0], a[1], a[2])],
  [H.vm_assist, (d, a) => vmAssist(d, a[0], a[1])],
  [H.iret, (d) => iret(d)],
  [H.vcpu_op, (d, a) => vcpuOp(d, a[0], a[1], a[2])],
  [H.mmuext_op, (d, a) => mmuextOp(d, a[0], a[1], a[2], a[3])],
  [H.sched_op, (d, a) => schedOp(d, a[0], a[1])],
  [H.callback_op, (d, a) => callbackOp(d, a[0], a[1])],
  [H.event_channel_op, (d, a) => d.events.op(a[0], a[1])],
  [H.physdev_op, (d, a) => physdevOp(d, a[0], a[1])],
]);

/** A hypercall from the guest: counted as a hypervisor entry, then run. */
export function call(d: Domain, nr: number, args: number[]): number | undefined {
  d.stats.countHypercall(nr);
  d.preempt.start();
  return dispatch(d, nr, args);
}

/** Run hypercall `nr` with `args`; a guest pointer that faults gives -EFAULT. */
function dispatch(d: Domain, nr: number, args: number[]): number | undefined {
  const h = TABLE.get(nr);
  if (!h) return -ERRNO.ENOSYS;
  try {
    return h(d, args);
  } catch (e) {
    if (e instanceof GuestFault) return -ERRNO.EFAULT;
    throw e;
  }
}

/** The names of the implemented hypercalls (for docs and tests). */
export const IMPLEMENTED = [...TABLE.keys()];
