// HYPERVISOR_vcpu_op(cmd, vcpuid, arg) (Xen common/domain.c do_vcpu_op) for the domain's one vCPU:
// is_up, the periodic timer (set: period >= 1 ms and <= STIME_DELTA_MAX, else -EINVAL; stop) and
// the single-shot timer (set: VCPU_SSHOTTMR_future refuses a time already past with -ETIME;
// stop). Both timers raise VIRQ_TIMER (time.ts). Another vCPU id is -ENOENT; other commands
// (initialise, up, down, runstate, vcpu_info registration) are -ENOSYS.
import type { Domain } from "./domain.ts";
import { ERRNO, VCPUOP, VCPU_SSHOTTMR_future } from "./abi.ts";
import { MIN_PERIOD_NS, STIME_DELTA_MAX } from "./time.ts";

const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

export function vcpuOp(d: Domain, cmd: number, vcpu: number, arg: number): number {
  if (vcpu !== 0) return -ERRNO.ENOENT;
  switch (cmd) {
    case VCPUOP.is_up: return 1;
    case VCPUOP.set_periodic_timer: {
      // struct vcpu_set_periodic_timer {uint64_t period_ns}
      const [lo, hi] = d.mem.readU32s(arg, 2);
      const period = u64(lo, hi);
      if (period < MIN_PERIOD_NS || period > STIME_DELTA_MAX) return -ERRNO.EINVAL;
      d.clock.setPeriodic(period);
      return 0;
    }
    case VCPUOP.stop_periodic_timer: d.clock.setPeriodic(0n); return 0;
    case VCPUOP.set_singleshot_timer: {
      // struct vcpu_set_singleshot_timer {uint64_t timeout_abs_ns; uint32_t flags}
      const [lo, hi, flags] = d.mem.readU32s(arg, 3);
      const t = u64(lo, hi);
      if ((flags & VCPU_SSHOTTMR_future) && t < d.clock.now()) return -ERRNO.ETIME;
      d.vcpu.timerDeadline = t;
      return 0;
    }
    case VCPUOP.stop_singleshot_timer: d.vcpu.timerDeadline = null; return 0;
    default: return -ERRNO.ENOSYS;
  }
}
