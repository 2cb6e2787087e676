// The run loop of a PV domain (Xen's entry.S return-to-guest path and the scheduler, for one
// vCPU): run the core until it exits, serve the exit — a hypercall, an exception to bounce or
// emulate — and before every return to the guest fire due timers, publish the time, and deliver
// a pending event to the event callback. A blocked vCPU lets virtual time run to its next timer.
// The domain ends by shutdown or by being killed; the emulator itself only stops on its own
// errors (an instruction the core does not implement is an emulator limit, not a guest crash).
import type { Domain, DomainEnd } from "./domain.ts";
import { L } from "../core/layout.gen.ts";
import { call } from "./hypercall.ts";
import { handleException, EXC_KIND_SOFT } from "./traps.ts";
import { bounce } from "./bounce.ts";
import { collect } from "./core-mirror.ts";
import { VIRQ_TIMER } from "./abi.ts";

export const HYPERCALL_VECTOR = 0x82;

export type RunResult = DomainEnd | { kind: "budget"; eip: number };

/** Serve the hypercall the core exited for (EIP is already past the `int $0x82`). */
function hypercall(d: Domain): void {
  const m = d.machine;
  const nr = m.reg("eax");
  const args = [m.reg("ebx"), m.reg("ecx"), m.reg("edx"), m.reg("esi"), m.reg("edi"), m.reg("ebp")];
  const r = call(d, nr, args);
  if (r !== undefined && !d.end) m.setReg("eax", r >>> 0);
}

/** Deliver a pending, unmasked event to the event callback (masking events during delivery). */
function deliverEvents(d: Domain): void {
  if (!d.upcallPending || d.upcallMask) return;
  const cb = d.vcpu.callbacks.event;
  if (!cb) return; // nothing to deliver to: the event stays pending (Xen does the same)
  d.stats.upcalls++;
  bounce(d, { cs: cb.cs, eip: cb.eip, maskEvents: true, what: "the event callback" });
}

/** Wake a sleeping vCPU whose condition came true; false while it must keep sleeping. */
function wakeIfReady(d: Domain): boolean {
  const v = d.vcpu;
  if (!v.blocked) return true;
  const poll = v.pollPorts;
  const ready = (d.upcallPending && !d.upcallMask) ||
    (poll !== null && poll.some((p) => d.events.isPending(p))) ||
    (v.pollDeadline !== null && d.clock.now() >= v.pollDeadline);
  if (ready) { v.blocked = false; v.pollPorts = null; v.pollDeadline = null; }
  return ready;
}

/** Run the domain until it ends or `maxInsns` guest instructions have retired. */
export function runDomain(d: Domain, maxInsns: bigint = 1n << 62n): RunResult {
  const m = d.machine, v = d.vcpu;
  const end = m.instructions + maxInsns;
  while (!d.end) {
    d.clock.poll();
    if (!wakeIfReady(d)) {
      // Sleep: time jumps to the next deadline; with none, nothing can ever wake the vCPU.
      // A timer can wake it only through a bound VIRQ_TIMER (an unbound VIRQ is dropped).
      const timer = d.events.virqBound(VIRQ_TIMER) ? d.clock.nextDeadline() : null;
      const next = [timer, v.pollDeadline].filter((t): t is bigint => t !== null).sort((a, b) => (a < b ? -1 : 1))[0];
      if (next === undefined) { d.kill("blocked with no pending event and no timer: it can never wake"); break; }
      d.clock.advanceTo(next);
      continue;
    }
    deliverEvents(d);
    if (d.end) break;
    d.clock.publish();
    const now = m.instructions;
    if (now >= end) return { kind: "budget", eip: m.eip };
    let slice = end - now;
    const deadline = d.clock.nextDeadline();
    if (deadline !== null) {
      const until = deadline - d.clock.now();
      if (until < slice) slice = until > 0n ? until : 1n;
    }
    const exit = m.run(slice);
    collect(d); // bounces and irets the core's fast paths served
    switch (exit) {
      case "BUDGET":
        continue;
      case "EXCEPTION":
        if (m.field(L.S_EXC_KIND) === EXC_KIND_SOFT && m.field(L.S_EXC_VECTOR) === HYPERCALL_VECTOR && d.cpl === 1) hypercall(d);
        else handleException(d);
        continue;
      case "INTERNAL": {
        const a = [0, 1].map((i) => m.field(L.S_EXIT_ARG + 4 * i));
        throw new Error(`emulator: internal exit ${a[0]} (arg 0x${a[1].toString(16)}) at EIP 0x${m.eip.toString(16)}`);
      }
      default:
        throw new Error(`emulator: unexpected exit ${exit} from a PV domain at EIP 0x${m.eip.toString(16)}`);
    }
  }
  return d.end!;
}
