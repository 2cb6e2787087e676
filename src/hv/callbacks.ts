// Entry points and stacks the guest registers (Xen arch/x86/x86_64/compat/traps.c,
// arch/x86/pv/callback.c, traps.c): stack_switch, set_callbacks (the legacy form), callback_op,
// fpu_taskswitch. Selectors with RPL 0 are given RPL 1 (fixup_guest_code/stack_selector); nothing
// else is validated at registration — a bad selector kills the domain when it is first used.
import type { Domain, Callback } from "./domain.ts";
import { CALLBACKOP_register, CALLBACKOP_unregister, CALLBACKTYPE, ERRNO } from "./abi.ts";
import { fixupSelector } from "./traps.ts";
import { syncTs } from "./emul-priv-op.ts";

/** HYPERVISOR_stack_switch(ss, esp): the ring-1 stack for exceptions from ring 3. */
export function stackSwitch(d: Domain, ss: number, esp: number): number {
  d.setKernelStack(fixupSelector(ss & 0xffff), esp);
  return 0;
}

/** HYPERVISOR_set_callbacks(event_cs, event_eip, failsafe_cs, failsafe_eip) */
export function setCallbacks(d: Domain, evCs: number, evEip: number, fsCs: number, fsEip: number): number {
  d.vcpu.callbacks.event = { cs: fixupSelector(evCs & 0xffff), eip: evEip >>> 0, flags: 0 };
  d.vcpu.callbacks.failsafe = { cs: fixupSelector(fsCs & 0xffff), eip: fsEip >>> 0, flags: 0 };
  return 0;
}

/** HYPERVISOR_callback_op(cmd, arg): struct callback_register {u16 type, u16 flags, u32 cs, u32 eip}. */
export function callbackOp(d: Domain, cmd: number, arg: number): number {
  const c = d.vcpu.callbacks;
  if (cmd === CALLBACKOP_register) {
    const [tf, cs, eip] = d.mem.readU32s(arg, 3);
    const type = tf & 0xffff, flags = tf >>> 16;
    const cb: Callback = { cs: fixupSelector(cs & 0xffff), eip, flags };
    switch (type) {
      case CALLBACKTYPE.event: c.event = cb; return 0;
      case CALLBACKTYPE.failsafe: c.failsafe = cb; return 0;
      case CALLBACKTYPE.syscall32: c.syscall32 = cb; return 0;
      case CALLBACKTYPE.sysenter: c.sysenter = cb; return 0;
      case CALLBACKTYPE.nmi: c.nmi = cb; return 0;
      default: return -ERRNO.ENOSYS;
    }
  }
  if (cmd === CALLBACKOP_unregister) {
    const type = d.mem.readU16(arg);
    switch (type) {
      // The event, failsafe and fast-system-call callbacks cannot be unregistered.
      case CALLBACKTYPE.event: case CALLBACKTYPE.failsafe: case CALLBACKTYPE.syscall32: case CALLBACKTYPE.sysenter:
        return -ERRNO.EINVAL;
      case CALLBACKTYPE.nmi: c.nmi = undefined; return 0;
      default: return -ERRNO.ENOSYS;
    }
  }
  return -ERRNO.ENOSYS;
}

/** HYPERVISOR_fpu_taskswitch(set): the virtual CR0.TS (the next FPU use raises #NM). */
export function fpuTaskswitch(d: Domain, set: number): number {
  d.vcpu.cr0Ts = set !== 0;
  syncTs(d);
  return 0;
}
