// HYPERVISOR_sched_op (Xen common/sched/core.c do_sched_op, do_poll): yield, block, shutdown,
// poll. One vCPU, so yield only gives the console back end its turn (it drains the PV console
// ring, which is what a guest waiting for out_cons == out_prod needs). Block and poll put the vCPU
// to sleep; hypervisor.ts wakes it and, while it sleeps, lets virtual time run to the next timer.
import type { Domain, ShutdownReason } from "./domain.ts";
import { ERRNO, SCHEDOP, SHUTDOWN } from "./abi.ts";

const REASONS = new Map<number, ShutdownReason>(Object.entries(SHUTDOWN).map(([k, v]) => [v, k as ShutdownReason]));

export function schedOp(d: Domain, cmd: number, arg: number): number {
  const v = d.vcpu;
  switch (cmd) {
    case SCHEDOP.yield:
      d.console?.drain();
      return 0;
    case SCHEDOP.block:
      // Blocking re-enables event delivery (local_event_delivery_enable), then sleeps unless an
      // event is already waiting.
      d.upcallMask = false;
      if (!d.upcallPending) v.blocked = true;
      return 0;
    case SCHEDOP.shutdown: {
      const reason = d.mem.readU32(arg); // struct sched_shutdown {unsigned int reason}
      d.console?.drain();
      // Xen accepts any reason (it is stored as a u8); unknown ones are reported by number.
      d.shutdown(REASONS.get(reason & 0xff) ?? `reason ${reason & 0xff}`, reason & 0xff);
      return 0;
    }
    case SCHEDOP.poll: {
      // struct sched_poll {ports handle @0, unsigned int nr_ports @4, uint64_t timeout @8}
      const [ports, nr, toLo, toHi] = d.mem.readU32s(arg, 4);
      if (nr > 128) return -ERRNO.EINVAL;
      d.mem.checkRange(ports, nr * 4, false);
      // Pending events needing delivery end the poll at once.
      if (d.upcallPending && !d.upcallMask) return 0;
      const list = nr ? d.mem.readU32s(ports, nr) : [];
      for (const p of list) {
        if (p >= d.events.nr) return -ERRNO.EINVAL;
        if (d.events.isPending(p)) return 0;
      }
      v.pollPorts = list;
      const timeout = (BigInt(toHi) << 32n) | BigInt(toLo);
      v.pollDeadline = timeout !== 0n ? timeout : null;
      v.blocked = true;
      return 0;
    }
    default:
      return -ERRNO.ENOSYS;
  }
}
