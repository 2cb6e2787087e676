// Time (Xen common/timer.c, arch/x86/time.c): a deterministic virtual clock. System time in
// nanoseconds is the number of retired instructions plus the time the vCPU spent blocked
// (1 instruction = 1 ns), and the TSC the guest is told about runs at the same rate, so
// vcpu_time_info says tsc_to_system_mul = 2^31, tsc_shift = 1 (system = (tsc << 1) * 2^31 >> 32).
// The same image and flags always see the same times.
import type { Domain } from "./domain.ts";
import { SHARED_INFO, VCPU_INFO, VCPU_TIME_INFO, VIRQ_TIMER } from "./abi.ts";
import { L } from "../core/layout.gen.ts";

/** Timeouts wrapped negative or more than 2^50 ns ahead fire after 100 ms (do_set_timer_op). */
const STIME_FAR = 1n << 50n;
const MS_100 = 100_000_000n;

export class VirtualClock {
  /** nanoseconds the vCPU spent blocked (time passes without instructions) */
  idleNs = 0n;
  private version = 0;
  constructor(private readonly d: Domain) {}

  /** Current system time (ns since the domain started). */
  now(): bigint { return this.d.machine.u64Field(L.S_INSNS) + this.idleNs; }
  /** The guest's TSC: equal to system time (1 GHz). */
  tsc(): bigint { return this.now(); }

  /** Let a blocked vCPU's time pass until `t`. */
  advanceTo(t: bigint): void { const n = this.now(); if (t > n) this.idleNs += t - n; }

  /** Publish vcpu_info.time (version odd while writing, even when done: the guest retries). */
  publish(): void {
    const d = this.d, base = d.sharedInfoMa + SHARED_INFO.vcpu_info + VCPU_INFO.time;
    const dv = d.machine.core.dv, at = L.RAM_BASE + base;
    const t = this.now();
    this.version = (this.version + 1) >>> 0;
    dv.setUint32(at + VCPU_TIME_INFO.version, this.version | 1, true);
    dv.setBigUint64(at + VCPU_TIME_INFO.tsc_timestamp, t, true);
    dv.setBigUint64(at + VCPU_TIME_INFO.system_time, t, true);
    dv.setUint32(at + VCPU_TIME_INFO.tsc_to_system_mul, 0x80000000, true);
    dv.setInt8(at + VCPU_TIME_INFO.tsc_shift, 1);
    this.version = (this.version | 1) + 1;
    dv.setUint32(at + VCPU_TIME_INFO.version, this.version, true);
  }

  /** HYPERVISOR_set_timer_op(timeout): absolute system time, 0 cancels. */
  setTimer(lo: number, hi: number): number {
    const timeout = BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    const v = this.d.vcpu, now = this.now();
    if (timeout === 0n) v.timerDeadline = null;
    else if (timeout < 0n || timeout - now >= STIME_FAR) v.timerDeadline = now + MS_100;
    else v.timerDeadline = timeout; // a time in the past fires at once
    return 0;
  }

  /** Fire the single-shot timer when its time has come (VIRQ_TIMER). */
  poll(): void {
    const v = this.d.vcpu;
    if (v.timerDeadline !== null && this.now() >= v.timerDeadline) {
      v.timerDeadline = null;
      this.d.events.sendVirq(VIRQ_TIMER);
    }
  }
}
